console.log('install: placeholder');
