pm.test('body matches the OpenAPI response schema', function () {
  pm.response.to.have.jsonSchema(__SCHEMA__);
});
