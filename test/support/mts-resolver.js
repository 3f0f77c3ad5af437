// Our ESM sources are .mts files imported by the name they are built to (.mjs), as Node.js
// and browsers load them; under Jest an import of ./x.mjs from our code resolves to ./x.mts.
const { existsSync } = require('node:fs');
const { resolve } = require('node:path');

module.exports = (request, options) => {
  if (request.startsWith('.') && request.endsWith('.mjs') && !options.basedir.includes('node_modules')) {
    const source = resolve(options.basedir, request.slice(0, -'.mjs'.length) + '.mts');
    if (existsSync(source)) return source;
  }
  return options.defaultResolver(request, options);
};
