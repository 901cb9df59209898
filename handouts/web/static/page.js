// The front-desk page, made quicker with script; every form also works without it.
// Loaded as a file (the pages' Content-Security-Policy allows no inline script).
"use strict";
document.documentElement.classList.add("js");

(function () {
  let pdfUrl = null;

  // Fields a visit type declares (e.g. surgery date) show only when that visit is chosen.
  function syncVisitFields(form) {
    const chosen = form.querySelector('input[name="visit"]:checked');
    form.querySelectorAll("[data-visits]").forEach((box) => {
      const show = Boolean(chosen) && box.dataset.visits.split(" ").includes(chosen.value);
      box.hidden = !show;
      box.querySelectorAll("input, select, textarea").forEach((input) => { input.disabled = !show; });
    });
  }

  function focusProblem(root) {
    const target = root.querySelector('[aria-invalid="true"]') || root.querySelector(".alert");
    if (target) {
      const input = target.matches("fieldset") ? target.querySelector("input") : target;
      input.focus();
    }
  }

  function fileName(response) {
    const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : "handout.pdf";
  }

  function describe(form) {
    const visit = form.querySelector('input[name="visit"]:checked');
    const title = visit ? visit.closest("label").querySelector(".visit-title").textContent : "Handout";
    const name = form.querySelector("#patient").value.trim();
    const date = form.querySelector("#date").value || "today";
    return title + " · for " + name + " · " + date;
  }

  // What the desk should know before printing (a procedure typed in English on a Spanish handout).
  function showWarnings(response) {
    const box = document.getElementById("result-warnings");
    let warnings = [];
    try { warnings = JSON.parse(response.headers.get("X-Handout-Warnings") || "[]"); } catch (error) { warnings = []; }
    box.replaceChildren(...warnings.map((text) => { const line = document.createElement("p"); line.textContent = text; return line; }));
    box.hidden = warnings.length === 0;
  }

  function showPdf(form, blob, name, note) {
    if (pdfUrl) URL.revokeObjectURL(pdfUrl);
    pdfUrl = URL.createObjectURL(blob);
    const result = document.getElementById("result");
    const noteLine = document.getElementById("result-note");
    noteLine.textContent = note || "";  // e.g. the record kept until the database is back
    noteLine.hidden = !note;
    document.getElementById("pdf").src = pdfUrl;
    const download = document.getElementById("download");
    download.href = pdfUrl;
    download.download = name;
    document.getElementById("result-what").textContent = describe(form);
    form.hidden = true;
    result.hidden = false;
    document.getElementById("print").focus();
  }

  async function makeHandout(form) {
    const status = form.querySelector("#status");
    const button = form.querySelector("#make");
    status.textContent = "Making the handout…";
    button.disabled = true;
    try {
      const response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
      const type = response.headers.get("Content-Type") || "";
      if (response.ok && type.startsWith("application/pdf")) {
        status.textContent = "";
        showWarnings(response);
        showPdf(form, await response.blob(), fileName(response), response.headers.get("X-Record-Notice"));
      } else if (type.startsWith("text/html")) {
        // The form again, with a message beside each field to fix.
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById("handout-form");
        if (!fresh) throw new Error("no form");
        form.replaceWith(fresh);
        syncVisitFields(fresh);
        focusProblem(fresh);
      } else {
        status.textContent = "Something went wrong (" + response.status + "). Please try again.";
      }
    } catch (error) {
      status.textContent = "The handouts tool did not answer. Is it still running?";
    } finally {
      button.disabled = false;
    }
  }

  function printFrame(frame, fallbackUrl) {
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } catch (error) {
      window.open(fallbackUrl || frame.src, "_blank", "noopener");
    }
  }

  function backToForm(clear) {
    const form = document.getElementById("handout-form");
    document.getElementById("result").hidden = true;
    form.hidden = false;
    if (clear) {
      form.querySelectorAll('input[type="text"], textarea, .visit-field input').forEach((input) => { input.value = ""; });
      form.querySelectorAll('input[name="visit"], input[name="large_print"]').forEach((input) => { input.checked = false; });
      form.querySelectorAll(".alert, .error").forEach((node) => node.remove());
      form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
      syncVisitFields(form);
      if (pdfUrl) { URL.revokeObjectURL(pdfUrl); pdfUrl = null; }
      document.getElementById("pdf").removeAttribute("src");
      form.querySelector('input[name="visit"]').focus();
    } else {
      form.querySelector("#make").focus();
    }
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.name === "visit" && target.form) syncVisitFields(target.form);
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "handout-form" && window.fetch) {
      event.preventDefault();
      makeHandout(form);
    } else if (form.dataset.printGiven && window.fetch) {
      // The day's print file: recorded as given, then printed from its frame on this page.
      event.preventDefault();
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                           headers: { Accept: "application/json" } });
      printFrame(document.getElementById(form.dataset.printGiven));
    } else if (form.id === "filter") {
      event.preventDefault();
      filterList();
    } else if (form.hasAttribute("data-list") && window.fetch) {
      if (form.querySelector("[data-download]")) {
        setTimeout(() => refreshList(null), 2500);  // the file downloads as usual; then the status shows it
        return;
      }
      event.preventDefault();
      sendListForm(form, event.submitter);
    } else if (form.dataset.busy) {
      const status = form.querySelector(".status");
      if (status) status.textContent = form.dataset.busy;
      form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    }
  });

  document.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.id === "print") printFrame(document.getElementById("pdf"), pdfUrl);
    else if (target.id === "change") backToForm(false);
    else if (target.id === "next") backToForm(true);
    else if (target.dataset.print) printFrame(document.getElementById(target.dataset.print));
  });

  // The surgeon's page: the preview follows the typing (a short pause after the last key).
  function livePreview() {
    const form = document.getElementById("postop");
    const button = document.getElementById("preview-button");
    const frame = document.getElementById("preview");
    if (!form || !button || !frame) return;
    let timer = null;
    let scroll = 0;
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        try { scroll = frame.contentWindow.scrollY; } catch (error) { scroll = 0; }
        form.requestSubmit(button);
      }, 600);
    });
    frame.addEventListener("load", () => {
      try { frame.contentWindow.scrollTo(0, scroll); } catch (error) { /* nothing to keep */ }
    });
  }

  // What is typed in the search box, keyed as identity.search_key keys a name: any case, no accents,
  // no apostrophes, any other mark a space ("obrien" and "O’Brien" find "O'Brien-Núñez").
  function searchKey(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").replace(/['’‘`´ʼʹ]/g, "").toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }

  // Today's list: the search and the status filter show and hide rows in place (the name typed
  // never goes into the address), and the rows' forms are sent in the background.
  function filterList() {
    const search = document.getElementById("q");
    const chosen = document.getElementById("status-filter");
    if (!search || !chosen) return;
    const words = searchKey(search.value);
    const joined = words.replace(/ /g, "");
    const rows = document.querySelectorAll("table.day tbody tr");
    let shown = 0;
    rows.forEach((row) => {
      // data-find: the row's name and id as the server keys them (identity.search_key), one per line
      const keys = (row.dataset.find || "").split("\n");
      const found = !words || keys.some((key) => key.includes(words) || key.replace(/ /g, "").includes(joined));
      const show = found && (chosen.value === "all" || row.dataset.status === chosen.value);
      row.hidden = !show;
      if (show) shown += 1;
    });
    const count = document.getElementById("shown");
    if (count) count.textContent = shown === rows.length ? "" : "Showing " + shown + " of " + rows.length + ".";
  }

  function announce(text) {
    let region = document.getElementById("announce");
    if (!region) {
      region = document.createElement("p");
      region.id = "announce";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  async function refreshList(focusKey) {
    const response = await fetch(window.location.pathname, { credentials: "same-origin" });
    putList(await response.text(), focusKey);
  }

  function putList(html, focusKey) {
    const page = new DOMParser().parseFromString(html, "text/html");
    const fresh = page.getElementById("list");
    const list = document.getElementById("list");
    if (!fresh || !list) { window.location.reload(); return; }
    // What the person is doing in the list stays as it was: the search typed, the filter, the focus.
    const kept = ["q", "status-filter"].map((id) => [id, (document.getElementById(id) || {}).value]);
    const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.id : "";
    list.replaceWith(fresh);
    kept.forEach(([id, value]) => { const field = document.getElementById(id); if (field && value !== undefined) field.value = value; });
    filterList();
    watchJob();
    if (!focusKey || !focusKey[0]) {
      const again = focused && document.getElementById(focused);
      if (again) again.focus();
      if (focusKey) { const news = fresh.querySelector("#job-status, .done"); if (news) announce(news.textContent); }
      return;
    }
    const [action, line] = focusKey;
    const row = line ? document.getElementById("row-" + line) : null;
    const message = row ? row.querySelector(".row-message") : fresh.querySelector(".done, .alert");
    if (message) announce(message.textContent);
    const form = (row || fresh).querySelector('form[action="' + action + '"]');
    const target = form ? form.querySelector("button") : null;
    const fallback = row ? row.querySelector("th") : document.getElementById("job-status") || fresh.querySelector("h2, p");
    if (target && !target.disabled) target.focus();
    else if (fallback) { fallback.setAttribute("tabindex", "-1"); fallback.focus(); }
  }

  async function sendListForm(form, submitter) {
    const button = form.querySelector("button[type=submit]");
    const line = (form.querySelector('input[name="line"]') || {}).value;
    const action = form.getAttribute("action");
    if (button) button.disabled = true;
    if (action.endsWith("/print")) announce("Printing…");
    try {
      const response = await fetch(action, { method: "POST", body: new FormData(form, submitter), credentials: "same-origin" });
      putList(await response.text(), [action, line]);
    } catch (error) {
      announce("The handouts tool did not answer. Is it still running?");
      if (button) button.disabled = false;
    }
  }

  // A job's progress bar (a whole day on the page, or "Print all"), asked for every second.
  let watching = null;
  function watchJob() {
    const box = document.getElementById("job");
    if (!box || box.dataset.running !== "true" || watching) return;
    watching = setInterval(async () => {
      try {
        const response = await fetch(box.dataset.url, { credentials: "same-origin" });
        const state = await response.json();
        const bar = document.getElementById("job-progress");
        const status = document.getElementById("job-status");
        if (bar && state.total) { bar.max = state.total; bar.value = state.done; }
        if (status && state.total) status.textContent = state.done + " of " + state.total + " made";
        if (state.state === "done" || state.state === "failed") {
          clearInterval(watching);
          watching = null;
          if (box.dataset.doneUrl) window.location.assign(box.dataset.doneUrl);
          else refreshList(["", ""]);
        }
      } catch (error) { /* asked again in a second */ }
    }, 1000);
  }

  function start() {
    const form = document.getElementById("handout-form");
    if (form) {
      syncVisitFields(form);
      focusProblem(form);
    }
    livePreview();
    filterList();
    watchJob();
    const changed = document.querySelector("#list > .alert");
    if (changed) changed.focus();
  }

  document.addEventListener("input", (event) => {
    if (event.target.id === "q") filterList();
  });
  document.addEventListener("change", (event) => {
    if (event.target.id === "status-filter") filterList();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
