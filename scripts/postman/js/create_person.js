pm.test('201', function () { pm.response.to.have.status(201); pm.collectionVariables.set('__VARIABLE__', String(pm.response.json().id)); });
