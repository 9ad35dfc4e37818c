/* certdesk web UI, ACME DNS-Authenticator form: choosing another type shows that type's fields
   at once (the page works without this file through its "Show Fields" button). */
"use strict";

(function () {
  const select = document.querySelector("select[data-choose-type]");
  if (!select) return;
  const form = select.form;
  const button = form.querySelector("button[value=choose_type]");
  select.addEventListener("change", () => {
    if (button && form.requestSubmit) form.requestSubmit(button);
    else if (button) button.click();
  });
})();
