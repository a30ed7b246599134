pm.test('200 and a page of users', function () {
  pm.response.to.have.status(200);
  pm.expect(pm.response.json().results).to.be.an('array');
  pm.expect(pm.request.headers.get('Authorization')).to.match(/^JWT /);
});
