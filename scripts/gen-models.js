console.log('gen');
