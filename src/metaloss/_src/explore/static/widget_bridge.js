// The explorer widget's bridge, inlined before explorer.js when the page runs in the
// notebook widget's iframe (and never in `metaloss explore`): fetch("/api/...") and
// the /api/ download links go to the parent window (widget.js), which carries them
// over the widget's comm to the kernel. Other URLs keep the browser's fetch.
(() => {
  const browserFetch = window.fetch.bind(window);
  const pending = new Map();
  let next = 0;

  window.addEventListener("message", (event) => {
    const d = event.data;
    if (event.source !== window.parent || !d || d.metaloss === undefined) return;
    const waiting = pending.get(d.metaloss);
    if (!waiting) return;
    pending.delete(d.metaloss);
    waiting.resolve(new Response(d.body, {
      status: d.status, headers: { "Content-Type": d.type || "application/octet-stream" },
    }));
  });

  function bridged(url, signal) {
    return new Promise((resolve, reject) => {
      const aborted = () => new DOMException("the request was aborted", "AbortError");
      if (signal && signal.aborted) { reject(aborted()); return; }
      const id = next++;
      pending.set(id, { resolve });
      if (signal) {
        signal.addEventListener("abort", () => { if (pending.delete(id)) reject(aborted()); });
      }
      window.parent.postMessage({ metaloss: id, url }, "*");
    });
  }

  window.fetch = (input, options) => {
    const url = typeof input === "string" ? input : String(input.url || input);
    return url.startsWith("/api/") ? bridged(url, options && options.signal)
      : browserFetch(input, options);
  };

  document.addEventListener("click", async (event) => {
    const link = event.target.closest && event.target.closest('a[href^="/api/"]');
    if (!link) return;
    event.preventDefault();
    const r = await bridged(link.getAttribute("href"));
    const blob = await r.blob();
    const save = document.createElement("a");
    save.href = URL.createObjectURL(blob);
    save.download = r.ok ? (link.getAttribute("download") || "download") : "error.json";
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(save.href), 10000);
  }, true);
})();
