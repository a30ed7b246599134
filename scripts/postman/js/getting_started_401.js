pm.test('401 problem+json naming the reason', function () {
  pm.response.to.have.status(401);
  pm.expect(pm.response.headers.get('WWW-Authenticate')).to.eql('JWT realm="api"');
  pm.expect(pm.response.json().code).to.eql('not_authenticated');
});
