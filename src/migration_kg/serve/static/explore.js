// The explorer page (/explore): search with autocomplete, facets and a sortable result table.
// Plain ES module, no build step, nothing fetched from elsewhere. The selection lives in the
// URL's query string (q, kind, one parameter per facet, sort, order): every change is a
// history entry, so a URL can be shared and back/forward restore the view.

const $ = (sel) => document.querySelector(sel);
const BROWSE_KEYS = ["kind", "sort", "order"];
let perspectives = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);  // strings become text nodes: never parsed as HTML
  return node;
}

function entityHref(iri) {
  return "/explore/entity?" + new URLSearchParams({ iri });
}

function state() {
  return new URLSearchParams(location.search);
}

function go(params) {
  const query = params.toString();
  history.pushState(null, "", query ? "/explore?" + query : "/explore");
  render();
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.statusText);
  return body;
}

// --- search and suggestions ---------------------------------------------------------

let suggestTimer = 0;
let suggestSeq = 0;

function hideSuggestions() {
  const list = $("#suggestions");
  list.hidden = true;
  list.replaceChildren();
}

async function suggest(text) {
  const seq = ++suggestSeq;
  if (!text.trim()) return hideSuggestions();
  let body;
  try {
    body = await getJSON("/explore/api/suggest?" + new URLSearchParams({ q: text }));
  } catch {
    return hideSuggestions();  // no word yet ("*", a quote): nothing to suggest
  }
  if (seq !== suggestSeq) return;  // an older answer arriving late
  const list = $("#suggestions");
  list.replaceChildren(...body.suggestions.map((s) => el("li", { role: "option" },
    el("a", { href: entityHref(s.iri), class: "suggestion" }, s.label,
      s.matched !== s.label ? el("span", { class: "graph" }, " (" + s.matched + ")") : "",
      el("span", { class: "badge type" }, s.typeLabel)))));
  list.hidden = body.suggestions.length === 0;
}

function snippet(parts) {
  return el("span", {}, ...parts.map(([text, hit]) => (hit ? el("mark", {}, text) : text)));
}

async function runSearch(q) {
  const section = $("#results");
  if (!q) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const entities = $("#entity-hits");
  const passages = $("#passage-hits");
  try {
    const body = await getJSON("/explore/api/search?" + new URLSearchParams({ q }));
    entities.replaceChildren(...body.entities.map((e) => el("li", {},
      el("a", { href: entityHref(e.iri) }, e.label), " ", el("span", { class: "badge type" }, e.typeLabel),
      e.match === "fuzzy" ? el("span", { class: "graph" }, " similar to your words: " + e.matched) : "")));
    passages.replaceChildren(...body.passages.map((p) => el("li", {},
      el("blockquote", { class: "evidence" }, snippet(p.snippet),
        el("footer", {}, el("a", { href: docHref(p.document, p.start, p.end), class: "doc" }, p.title || p.document),
          ` · ${p.quotes.length} quote${p.quotes.length === 1 ? "" : "s"}`)))));
    if (!body.entities.length) entities.replaceChildren(el("li", { class: "graph" }, "No entity."));
    if (!body.passages.length) passages.replaceChildren(el("li", { class: "graph" }, "No passage."));
  } catch (error) {
    entities.replaceChildren(el("li", { class: "notice" }, error.message));
    passages.replaceChildren();
  }
}

function docHref(document, start, end) {
  const url = new URL(document);
  return url.pathname + "?" + new URLSearchParams({ start, end }) + "#hl";
}

// --- facets and the result table ----------------------------------------------------

const COLUMNS = [
  ["label", "Name"], ["type", "Type"], ["year", "Year"], ["process", "Process"], ["documents", "Documents"],
];

function browseParams(params) {
  const out = new URLSearchParams();
  for (const [key, value] of params) if (key !== "q") out.append(key, value);
  if (!out.has("kind")) out.set("kind", "events");
  return out;
}

async function renderBrowse(params) {
  const browse = browseParams(params);
  const kind = browse.get("kind");
  for (const button of document.querySelectorAll("button.kind")) {
    button.setAttribute("aria-pressed", String(button.dataset.kind === kind));
  }
  const csv = new URLSearchParams(browse);
  csv.set("format", "csv");
  $("#csv").href = "/explore/api/facets?" + csv;
  let body;
  try {
    body = await getJSON("/explore/api/facets?" + browse);
  } catch (error) {
    $("#summary").textContent = error.message;
    return;
  }
  $("#summary").textContent = `${body.total} ${body.label.toLowerCase()} match` +
    (body.shown < body.total ? ` (the first ${body.shown} shown)` : "");
  $("#facets").replaceChildren(...body.facets.map((facet) => el("section", { class: "facet", "data-facet": facet.name },
    el("h3", {}, facet.label),
    el("ul", {}, ...facet.values.slice(0, 40).map((v) => el("li", {},
      el("a", {
        href: "/explore?" + toggled(params, facet.name, v.value), "data-value": v.value,
        class: facet.selected === v.value ? "chosen" : null,
      }, v.label, " ", el("span", { class: "count" }, String(v.count)))))))));
  const sort = browse.get("sort") || "label";
  const order = browse.get("order") || "asc";
  $("#table thead").replaceChildren(el("tr", {}, ...COLUMNS.map(([key, title]) => {
    const next = new URLSearchParams(params);
    next.set("sort", key);
    next.set("order", sort === key && order === "asc" ? "desc" : "asc");
    const mark = sort === key ? (order === "asc" ? " ▲" : " ▼") : "";
    return el("th", { "aria-sort": sort === key ? (order === "asc" ? "ascending" : "descending") : null },
      el("a", { href: "/explore?" + next, class: "sort" }, title + mark));
  })));
  $("#table tbody").replaceChildren(...body.items.map((item) => el("tr", {},
    el("td", {}, el("a", { href: entityHref(item.iri) }, item.label)),
    el("td", {}, item.typeLabel || ""),
    el("td", {}, (item.values.year || []).map((v) => v.label).join(", ")),
    el("td", {}, (item.values.process || []).map((v) => v.label).join("; ")),
    el("td", { class: "num" }, String((item.values.document || []).length)))));
}

function toggled(params, facet, value) {
  const next = new URLSearchParams(params);
  if (next.get(facet) === value) next.delete(facet);
  else next.set(facet, value);
  return next;
}

// --- wiring -------------------------------------------------------------------------

async function render() {
  const params = state();
  $("#q").value = params.get("q") || "";
  hideSuggestions();
  await Promise.all([runSearch(params.get("q") || ""), renderBrowse(params)]);
  document.body.dataset.ready = "true";  // for tests and screen readers: the view matches the URL
}

function start() {
  $("#q").addEventListener("input", (event) => {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(() => suggest(event.target.value), 120);
  });
  $("#q").addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideSuggestions();
  });
  $("#search").addEventListener("submit", (event) => {
    event.preventDefault();
    const params = state();
    const q = $("#q").value.trim();
    if (q) params.set("q", q);
    else params.delete("q");
    go(params);
  });
  document.querySelector("nav.kinds").addEventListener("click", (event) => {
    const button = event.target.closest("button.kind");
    if (!button) return;
    const params = new URLSearchParams();
    const q = state().get("q");
    if (q) params.set("q", q);
    params.set("kind", button.dataset.kind);  // facets differ by kind: a new kind starts a new selection
    go(params);
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("#facets a, #table th a");
    if (!link) return;
    event.preventDefault();
    history.pushState(null, "", link.getAttribute("href"));
    render();
  });
  window.addEventListener("popstate", render);
  render();
}

start();
