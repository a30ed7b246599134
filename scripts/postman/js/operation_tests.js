pm.test('documented status (__DOCUMENTED_LIST__)', function () {
  pm.expect(__DOCUMENTED__).to.include(pm.response.code);
});
pm.test('__SUCCESS__ as designed', function () {
  pm.response.to.have.status(__SUCCESS__);
});
pm.test('__SUCCESS_MEDIA__, or problem+json for errors', function () {
  const type = pm.response.headers.get('Content-Type') || '';
  if (pm.response.code !== 204) {
    pm.expect(type).to.match(pm.response.code >= 400 ? /^application\/problem\+json/ : /^(__SUCCESS_TYPES__)/);
  }
});
