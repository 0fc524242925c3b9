// The header's search box: as-you-type suggestions from GET /api/search/suggest, in an ARIA 1.2
// combobox (arrow keys move through the list, Enter picks, Escape closes); submitting searches.
import { get } from "../lib/api.js";
import { debounce, escapeHtml } from "../lib/ui.js";

export function initSearchBox(form, go) {
  const input = form.querySelector("input[name=q]");
  const list = form.querySelector("[role=listbox]");
  let options = [];
  let active = -1;
  let seq = 0; // a suggestion answer that arrives after a newer keystroke or a search is dropped

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (i) => {
    active = i;
    list.querySelectorAll("[role=option]").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) input.setAttribute("aria-activedescendant", `suggestion-${i}`);
    else input.removeAttribute("aria-activedescendant");
  };

  const search = (q) => {
    seq += 1;
    suggest.cancel();
    close();
    if (q.trim()) go(`#/search?q=${encodeURIComponent(q.trim())}`);
  };

  const suggest = debounce(async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (q.length < 2) return close();
    let result;
    try {
      result = await get("/search/suggest", { q });
    } catch {
      return close(); // suggestions are a convenience: a failure must not get in the way of typing
    }
    if (mine !== seq || input.value.trim() !== q || document.activeElement !== input) return;
    options = (result.suggestions || []).map((s) => (typeof s === "string" ? s : s.text)).filter(Boolean);
    if (!options.length) return close();
    list.innerHTML = options
      .map((text, i) => `<li id="suggestion-${i}" role="option" aria-selected="false" data-index="${i}">${escapeHtml(text)}</li>`)
      .join("");
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }, 150);

  input.addEventListener("input", suggest);
  input.addEventListener("keydown", (e) => {
    const open = !list.hidden && options.length;
    if (e.key === "ArrowDown" && open) {
      e.preventDefault();
      highlight((active + 1) % options.length);
    } else if (e.key === "ArrowUp" && open) {
      e.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (e.key === "Enter" && open && active >= 0) {
      e.preventDefault();
      input.value = options[active];
      search(options[active]);
    } else if (e.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  list.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the input
  list.addEventListener("click", (e) => {
    const li = e.target.closest("[role=option]");
    if (!li) return;
    input.value = options[Number(li.dataset.index)];
    search(input.value);
  });
  window.addEventListener("hashchange", () => {
    seq += 1;
    suggest.cancel();
    close();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    search(input.value);
  });
}
