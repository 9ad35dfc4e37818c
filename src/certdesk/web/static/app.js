/* certdesk web UI: progressive enhancement only. Every page works without this file; with it,
   the Add CSR form becomes a stepper, row menus and dialogs behave like menus and dialogs,
   SANs become removable chips, a profile fills the form, and PEM text can be copied. */
"use strict";

document.documentElement.classList.replace("no-js", "js");

function $(selector, root) { return (root || document).querySelector(selector); }
function $all(selector, root) { return Array.from((root || document).querySelectorAll(selector)); }

/* ---- row menus (<details class="menu">) ------------------------------------------------ */
function setUpMenus() {
  const menus = $all("details.menu");
  menus.forEach((menu) => {
    menu.addEventListener("toggle", () => {
      $("summary", menu).setAttribute("aria-expanded", String(menu.open));
      if (menu.open) menus.forEach((other) => { if (other !== menu) other.open = false; });
    });
    menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        $("summary", menu).focus();
      }
    });
  });
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
}

/* ---- dialogs ------------------------------------------------------------------------------ */
function setUpDialogs() {
  $all("dialog [data-close]").forEach((button) => {
    button.addEventListener("click", () => button.closest("dialog").close());
  });
  const deleteDialog = $("#delete-dialog");
  if (deleteDialog) {
    $all("[data-delete-dialog]").forEach((link) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        const menu = link.closest("details");
        if (menu) menu.open = false;
        $("form", deleteDialog).action = link.dataset.action;
        $("[data-name]", deleteDialog).textContent = link.dataset.name;
        $("input[name=force]", deleteDialog).checked = false;
        deleteDialog.showModal();
        $("[data-close]", deleteDialog).focus();
      });
    });
  }
  const pemDialog = $("#pem-dialog");
  if (pemDialog) {
    $all("[data-pem-dialog]").forEach((link) => {
      link.addEventListener("click", async (event) => {
        event.preventDefault();
        let text;
        try {
          const response = await fetch(link.dataset.src, { credentials: "same-origin" });
          if (!response.ok) throw new Error(String(response.status));
          text = await response.text();
        } catch (error) {
          window.location.href = link.href;  // the page without the dialog
          return;
        }
        $("#pem-dialog-title").textContent = link.dataset.title;
        $("[data-filename]", pemDialog).textContent = link.dataset.filename;
        $("#pem-dialog-text").value = text;
        const download = $("[data-download]", pemDialog);
        download.href = link.dataset.src;
        download.setAttribute("download", link.dataset.filename);
        $("[data-copy-status]", pemDialog).textContent = "";
        pemDialog.showModal();
        $("[data-copy]", pemDialog).focus();
      });
    });
    pemDialog.addEventListener("close", () => { $("#pem-dialog-text").value = ""; });
  }
}

/* ---- copy to clipboard -------------------------------------------------------------------- */
async function copyText(textarea) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(textarea.value);
    return;
  }
  textarea.focus();
  textarea.select();
  if (!document.execCommand("copy")) throw new Error("copy refused");
}

function setUpCopy() {
  $all("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const container = button.closest("dialog, section, form") || document;
      const status = $("[data-copy-status]", container);
      try {
        await copyText($(button.dataset.copy));
        if (status) status.textContent = "Copied to the clipboard.";
      } catch (error) {
        if (status) status.textContent = "Copying failed: select the text and copy it yourself.";
      }
    });
  });
}

/* ---- Add CSR wizard ---------------------------------------------------------------------- */
function optionText(select) {
  const option = select.options[select.selectedIndex];
  return option ? option.textContent.replace(/ \((not recommended|not available)\)$/, "") : "";
}

function setUpPolicyHints(root) {
  $all("select[data-policy]", root).forEach((select) => {
    const hint = $(`[data-policy-for="${select.id}"]`, root);
    const update = () => {
      const option = select.options[select.selectedIndex];
      if (hint) hint.textContent = option && option.dataset.verdict === "warning" ? option.dataset.reason : "";
    };
    select.addEventListener("change", update);
    update();
  });
}

function setUpCountryFilter(form) {
  const field = $("[data-country-field]", form);
  if (!field) return;
  const select = $("select", field);
  const wrapper = document.createElement("div");
  wrapper.className = "field";
  wrapper.innerHTML = '<label for="f-country-filter">Filter countries</label>' +
    '<input id="f-country-filter" type="search" autocomplete="off" placeholder="Type part of a name or code">';
  field.parentNode.insertBefore(wrapper, field);
  const filter = $("input", wrapper);
  filter.addEventListener("input", () => {
    const query = filter.value.trim().toLowerCase();
    let first = null;
    let exact = null;
    Array.from(select.options).forEach((option) => {
      const code = option.value.toLowerCase();
      const match = !query || !code || code === query || option.textContent.toLowerCase().includes(query);
      option.hidden = !match;
      if (match && code && !first) first = option;
      if (query && code === query) exact = option;
    });
    const best = exact || first;
    if (query && best && (!select.value || select.selectedOptions[0].hidden || exact)) {
      select.value = best.value;
    }
  });
  const hint = $(".hint", field);
  if (hint) hint.textContent = "Type in Filter countries to narrow the list.";
}

function setUpSanChips(form) {
  const field = $("[data-san-field]", form);
  if (!field) return { flush() {} };
  const textarea = $("textarea", field);
  const label = $("label", field);
  const input = document.createElement("input");
  input.type = "text";
  input.id = "f-san-input";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("enterkeyhint", "enter");
  for (const attr of ["aria-describedby", "aria-invalid"]) {
    if (textarea.hasAttribute(attr)) input.setAttribute(attr, textarea.getAttribute(attr));
  }
  const chips = document.createElement("ul");
  chips.className = "chips";
  chips.setAttribute("aria-label", "Entries added");
  textarea.hidden = true;
  label.htmlFor = input.id;
  textarea.after(input, chips);

  let values = textarea.value.split("\n").map((s) => s.trim()).filter(Boolean);
  const sync = () => {
    textarea.value = values.join("\n");
    chips.replaceChildren(...values.map((value, index) => {
      const li = document.createElement("li");
      li.className = "chip";
      const text = document.createElement("span");
      text.textContent = value;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${value}`);
      remove.addEventListener("click", () => {
        values.splice(index, 1);
        sync();
        input.focus();
      });
      li.append(text, remove);
      return li;
    }));
  };
  const add = (text) => {
    text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean).forEach((value) => {
      if (!values.includes(value)) values.push(value);
    });
    sync();
  };
  const flush = () => {
    if (input.value.trim()) { add(input.value); input.value = ""; }
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      flush();
    } else if (event.key === "Backspace" && !input.value && values.length) {
      values.pop();
      sync();
    }
  });
  input.addEventListener("paste", (event) => {
    const text = (event.clipboardData || window.clipboardData).getData("text");
    if (/[\s,]/.test(text.trim())) { event.preventDefault(); add(text); }
  });
  // Not on blur: adding a chip moves the buttons below, and the click that blurred would miss.
  sync();
  return { flush, values: () => values.slice() };
}

function applyProfile(form, fields) {
  for (const [name, value] of Object.entries(fields)) {
    const controls = $all(`[name="${CSS.escape(name)}"]`, form);
    controls.forEach((control) => {
      if (control.type === "checkbox") {
        control.checked = Array.isArray(value) ? value.includes(control.value) : Boolean(value);
      } else if (control.multiple) {
        const chosen = Array.isArray(value) ? value : [];
        Array.from(control.options).forEach((option) => { option.selected = chosen.includes(option.value); });
      } else if (!Array.isArray(value)) {
        control.value = value;
      }
      control.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
}

function summaryRows(form, san) {
  const get = (name) => form.elements.namedItem(name);
  const text = (name) => { const c = get(name); return c && c.value.trim() ? c.value.trim() : "—"; };
  const selectText = (name) => { const c = get(name); return c && c.value ? optionText(c) : "—"; };
  const checked = (name) => { const c = get(name); return Boolean(c && c.checked); };
  const rows = [["Name", text("name")], ["Type", selectText("create_type")]];
  if (get("create_type").value === "CERTIFICATE_CREATE_IMPORTED_CSR") {
    rows.push(["Signing Request", get("CSR").value.trim() ? "provided" : "missing"]);
    rows.push(["Private Key", get("privatekey").value.trim() ? "provided" : "missing"]);
    rows.push(["Passphrase", get("passphrase").value ? "provided" : "none"]);
    return rows;
  }
  const ext = "cert_extensions.";
  rows.push(["Profile", selectText("profile") === "None" ? "—" : selectText("profile")]);
  rows.push(["Key Type", selectText("key_type")]);
  if (get("key_type").value === "EC") rows.push(["EC Curve", selectText("ec_curve")]);
  else rows.push(["Key Length", selectText("key_length")]);
  rows.push(["Digest Algorithm", selectText("digest_algorithm")]);
  rows.push(["Country", selectText("country") === "Not set" ? "—" : selectText("country")]);
  for (const [name, label] of [["state", "State"], ["city", "Locality"], ["organization", "Organization"],
    ["organizational_unit", "Organizational Unit"], ["email", "Email"], ["common", "Common Name"]]) {
    rows.push([label, text(name)]);
  }
  rows.push(["Subject Alternate Names", san.length ? san.join(", ") : "—"]);
  const chosen = (name) => {
    const c = get(name);
    const texts = c ? Array.from(c.selectedOptions).map((o) => o.textContent.trim()) : [];
    return texts.length ? texts.join(", ") : "None selected";
  };
  const bc = ext + "BasicConstraints.";
  const bcOn = checked(bc + "enabled");
  rows.push(["Basic Constraints Config", bcOn ? chosen(bc + "config") : "Disabled"]);
  if (bcOn) rows.push(["Path Length", get(bc + "path_length").value || "No limit"]);
  const eku = ext + "ExtendedKeyUsage.";
  rows.push(["Usages", checked(eku + "enabled")
    ? chosen(eku + "usages") + (checked(eku + "extension_critical") ? " (Critical Extension)" : "")
    : "Disabled"]);
  const ku = ext + "KeyUsage.";
  rows.push(["Key Usage Config", checked(ku + "enabled") ? chosen(ku + "config") : "Disabled"]);
  return rows;
}

/* A click on an option of a multiple select adds or removes it (no Ctrl needed); keyboard and
   the native behaviour stay as they are. */
function setUpMultiSelects(root) {
  // Touch browsers show their own checklist for a multiple select: leave them alone.
  if (window.matchMedia("(pointer: coarse)").matches) return;
  $all("select[multiple]", root).forEach((select) => {
    select.addEventListener("mousedown", (event) => {
      const option = event.target;
      if (option.tagName !== "OPTION" || option.disabled || event.shiftKey) return;
      event.preventDefault();
      const top = select.scrollTop;
      option.selected = !option.selected;
      select.focus();
      select.scrollTop = top;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    const hint = document.getElementById(`${select.id}-hint`);
    if (hint) hint.textContent = hint.textContent.replace(/^Several can be selected: [^.]*\./, "Click an option to select or clear it.");
  });
}

function setUpWizard() {
  const form = $("#csr-wizard");
  if (!form) return;
  form.noValidate = true;
  const typeSelect = form.elements.namedItem("create_type");
  const keyType = form.elements.namedItem("key_type");
  const steps = $all("fieldset.step", form);
  const markers = $all("[data-step-marker]", form);
  const back = $("[data-wizard=back]", form);
  const next = $("[data-wizard=next]", form);
  const save = $("[data-wizard=save]", form);
  const san = setUpSanChips(form);
  let current = form.dataset.step || "identifier";

  const isImport = () => typeSelect.value === "CERTIFICATE_CREATE_IMPORTED_CSR";
  const active = () => (isImport() ? form.dataset.stepsImport : form.dataset.stepsCreate).split(" ");
  const stepEl = (key) => steps.find((s) => s.dataset.step === key);
  const visibleControls = (step) => $all("input, select, textarea", step)
    .filter((c) => !c.disabled && c.type !== "hidden" && !c.closest("[hidden]"));

  const render = () => {
    const order = active();
    if (!order.includes(current)) current = order[0];
    steps.forEach((s) => { s.hidden = s.dataset.step !== current; });
    markers.forEach((m) => {
      const index = order.indexOf(m.dataset.stepMarker);
      m.hidden = index < 0;
      $(".num", m).textContent = String(index + 1);
      m.classList.toggle("done", index >= 0 && index < order.indexOf(current));
      if (m.dataset.stepMarker === current) m.setAttribute("aria-current", "step");
      else m.removeAttribute("aria-current");
    });
    const position = order.indexOf(current);
    back.hidden = position === 0;
    next.hidden = position === order.length - 1;
    save.hidden = position !== order.length - 1;
    $all(".for-create", stepEl("identifier")).forEach((el) => { el.hidden = isImport(); });
    for (const name of ["CSR", "privatekey"]) form.elements.namedItem(name).required = isImport();
    if (current === "confirm") {
      const list = $("#wizard-summary");
      list.replaceChildren(...summaryRows(form, san.values ? san.values() : []).map(([dt, dd]) => {
        const div = document.createElement("div");
        const term = document.createElement("dt");
        term.textContent = dt;
        const value = document.createElement("dd");
        value.textContent = dd;
        div.append(term, value);
        return div;
      }));
    }
  };

  const focusStep = () => {
    const step = stepEl(current);
    const invalid = $all("[aria-invalid=true]", step).find((el) => !el.closest("[hidden]"));
    const target = invalid || visibleControls(step)[0];
    if (target) target.focus();
  };

  const validStep = (key) => {
    for (const control of visibleControls(stepEl(key))) {
      if (!control.checkValidity()) {
        current = key;
        render();
        control.reportValidity();
        return false;
      }
    }
    return true;
  };

  const go = (delta) => {
    const order = active();
    if (delta > 0) { san.flush(); if (!validStep(current)) return; }
    current = order[Math.min(order.length - 1, Math.max(0, order.indexOf(current) + delta))];
    render();
    focusStep();
  };

  back.addEventListener("click", () => go(-1));
  next.addEventListener("click", () => go(1));
  typeSelect.addEventListener("change", render);

  const syncKeyType = () => {
    $all("[data-show-for-key]", form).forEach((el) => { el.hidden = el.dataset.showForKey !== keyType.value; });
  };
  keyType.addEventListener("change", syncKeyType);
  syncKeyType();

  $all("[data-toggles]", form).forEach((box) => {
    const body = document.getElementById(box.dataset.toggles);
    const sync = () => { body.hidden = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  });

  const profiles = JSON.parse($("#csr-profiles").textContent);
  const profileSelect = form.elements.namedItem("profile");
  const profileApplied = form.elements.namedItem("profile_applied");
  profileSelect.addEventListener("change", () => {
    const fields = profiles[profileSelect.value];
    if (fields) applyProfile(form, fields);
    profileApplied.value = profileSelect.value;
  });

  $all("[data-pattern-message]", form).forEach((input) => {
    const check = () => input.setCustomValidity(input.validity.patternMismatch ? input.dataset.patternMessage : "");
    input.addEventListener("input", check);
    check();
  });
  $all("[data-must-match]", form).forEach((confirm) => {
    const original = document.getElementById(confirm.dataset.mustMatch);
    const check = () => confirm.setCustomValidity(confirm.value === original.value ? "" : confirm.dataset.matchMessage);
    confirm.addEventListener("input", check);
    original.addEventListener("input", check);
    check();
  });

  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || target.tagName === "TEXTAREA" || target.tagName === "BUTTON" ||
        target.tagName === "A" || target.type === "checkbox") return;
    const order = active();
    if (order.indexOf(current) < order.length - 1) {
      event.preventDefault();
      go(1);
    }
  });

  form.addEventListener("submit", (event) => {
    san.flush();
    const order = active();
    if (order.indexOf(current) < order.length - 1) {
      event.preventDefault();
      go(1);
      return;
    }
    for (const key of order) {
      if (!validStep(key)) { event.preventDefault(); return; }
    }
  });

  setUpPolicyHints(form);
  setUpMultiSelects(form);
  setUpCountryFilter(form);
  render();
  if (form.dataset.step && $("[aria-invalid=true]", form)) focusStep();
}

/* ---- Create ACME Certificate: the custom directory URI replaces the list ------------------ */
function setUpCustomDirectory() {
  const box = $("[data-custom-directory]");
  if (!box) return;
  const preset = $("[data-directory-preset]");
  const custom = $("[data-directory-custom]");
  const select = $("select", preset);
  const input = $("input", custom);
  const sync = () => {
    preset.hidden = box.checked;
    custom.hidden = !box.checked;
    for (const label of [$("label", preset), $("label", custom)]) {
      label.textContent = box.checked ? label.dataset.labelOn : label.dataset.labelOff;
    }
  };
  box.addEventListener("change", () => {
    if (box.checked && !input.value) input.value = select.value;
    sync();
    (box.checked ? input : select).focus();
  });
  sync();
}

/* ---- Create ACME Certificate: the selected directory's terms of service ------------------- */
function setUpTermsOfService() {
  const form = $("#acme-form");
  const terms = $("[data-tos-terms]");
  if (!form || !terms) return;
  const get = (name) => form.elements.namedItem(name);
  const directory = () => {
    const custom = get("custom_directory");
    const typed = get("acme_directory_custom_uri").value.trim();
    return custom && custom.checked && typed ? typed : get("acme_directory_uri").value;
  };
  let asked;
  let timer = null;
  const show = (data) => {
    if (data.href) {
      const link = document.createElement("a");
      link.href = data.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.dataset.tosLink = "";
      link.textContent = data.url;
      terms.replaceChildren("Read them: ", link);
    } else if (data.url) {
      const code = document.createElement("code");
      code.dataset.tosLink = "";
      code.textContent = data.url;
      terms.replaceChildren("They are at ", code);
    } else {
      terms.textContent = "The server's terms of service could not be found: read them on the CA's website before accepting (Let's Encrypt's are at letsencrypt.org/repository).";
    }
  };
  const lookUp = async () => {
    const params = new URLSearchParams({ directory: directory() });
    const bundle = get("ca_bundle").value.trim();
    if (bundle) params.set("ca_bundle", bundle);
    const query = params.toString();
    if (query === asked) return;
    asked = query;
    terms.textContent = "Looking up the server's terms of service…";
    try {
      const response = await fetch(`/acme/terms?${query}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (asked === query) show(data);
    } catch (error) {
      if (asked === query) show({ url: null, href: null });
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(lookUp, 400); };
  const initial = new URLSearchParams({ directory: directory() });
  const initialBundle = get("ca_bundle").value.trim();
  if (initialBundle) initial.set("ca_bundle", initialBundle);
  asked = initial.toString();  // the server rendered the terms of this one
  get("acme_directory_uri").addEventListener("change", lookUp);
  get("custom_directory").addEventListener("change", lookUp);
  get("acme_directory_custom_uri").addEventListener("input", later);
  get("acme_directory_custom_uri").addEventListener("change", lookUp);
  get("ca_bundle").addEventListener("input", later);
}

document.addEventListener("DOMContentLoaded", () => {
  setUpMenus();
  setUpDialogs();
  setUpCopy();
  setUpWizard();
  setUpCustomDirectory();
  setUpTermsOfService();
});
