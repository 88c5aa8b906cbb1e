// The explorer widget's front end (anywidget ESM): the page in an iframe, its API
// requests carried over the widget's comm. The iframe's bridge (widget_bridge.js)
// posts {metaloss: id, url}; this forwards it to the kernel with model.send and
// posts the kernel's answer (status, content type, body bytes) back to the iframe.

function render({ model, el }) {
  const view = Math.random().toString(36).slice(2);
  const iframe = document.createElement("iframe");
  iframe.title = "metaloss explorer";
  iframe.style.width = "100%";
  iframe.style.border = "0";
  iframe.style.height = `${model.get("height")}px`;
  iframe.srcdoc = model.get("html");
  el.appendChild(iframe);

  function onRequest(event) {
    const d = event.data;
    if (event.source !== iframe.contentWindow || !d || d.metaloss === undefined) return;
    model.send({ id: d.metaloss, url: String(d.url), view });
  }

  function onAnswer(msg, buffers) {
    if (!msg || msg.view !== view || !iframe.contentWindow) return;
    const b = buffers && buffers.length ? buffers[0] : new DataView(new ArrayBuffer(0));
    const body = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    iframe.contentWindow.postMessage(
      { metaloss: msg.id, status: msg.status, type: msg.type, body }, "*", [body]);
  }

  function onHeight() { iframe.style.height = `${model.get("height")}px`; }

  window.addEventListener("message", onRequest);
  model.on("msg:custom", onAnswer);
  model.on("change:height", onHeight);
  return () => {
    window.removeEventListener("message", onRequest);
    model.off("msg:custom", onAnswer);
    model.off("change:height", onHeight);
  };
}

export default { render };
