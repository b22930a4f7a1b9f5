// Appended to the engine by emscripten (--post-js): Module.lecture(name, request) sends a request
// object to tcpsim_lecture_<name> and returns its answer, parsed. The request goes through the
// heap, not the stack (ccall's way), so a scenario of any size the loader takes fits.
Module['lecture'] = function (name, request) {
  const text = JSON.stringify(request);
  const size = lengthBytesUTF8(text) + 1;
  const address = _malloc(size);
  try {
    stringToUTF8(text, address, size);
    return JSON.parse(UTF8ToString(Module['_tcpsim_lecture_' + name](address)));
  } finally {
    _free(address);
  }
};
