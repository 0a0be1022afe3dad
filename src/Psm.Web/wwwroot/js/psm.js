window.psm = {
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
  copy: (text) => navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.resolve(),
  // Scrolls a wide board or timeline sideways so the element with this id is in view.
  reveal: (id) => { const el = document.getElementById(id); if (el) el.scrollIntoView({ inline: "center", block: "nearest" }); },
  // Scrolls an element sideways so x (in its content) sits in the middle of what shows.
  centre: (id, x) => { const el = document.getElementById(id); if (el) el.scrollLeft = Math.max(0, x - el.clientWidth / 2); }
};

// "/" anywhere outside a field puts the cursor in the app bar's search box (the shortcut its placeholder names).
document.addEventListener("keydown", (e) => {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || (t && t.isContentEditable)) return;
  const box = document.getElementById("global-search");
  if (box) { e.preventDefault(); box.focus(); box.select(); }
});
