// A form for one versioned record: saves with If-Match, shows the server's
// message next to the field it names, and handles a stale version (another
// admin saved first) by showing the newer values and letting the admin
// take them or apply their own changes (the fields they edited) to them.
import { api } from "./api.js";
import { h, go, field, formError, showError, clearErrors, busy, toast, confirmDialog } from "./ui.js";

// editForm builds the form. spec:
//   fields: [{ name, label, ...field options }] or [{ name, label, build }]
//     where build(name, label, value) makes the field
//   values: current values by name; version: the record's version (0 when new)
//   read(form) → the body to send (defaults to the fields' values)
//   save(body, version) → { data, version }   (throws ApiError)
//   load() → { data, version }                (re-reads the record)
//   valuesOf(data) → values by name
//   check(body) → { field, message } | null   (checks before sending)
//   saved(data, version)                      (after a save)
export function editForm(spec) {
  let version = spec.version || 0;
  let base = { ...(spec.values || {}) }; // the values the admin started from
  const inputs = {};
  const form = h("form", { class: "edit", novalidate: true }, formError());
  for (const f of spec.fields) {
    const value = spec.values?.[f.name] ?? "";
    const el = f.build ? f.build(f.name, f.label, value) : field(f.label, f.name, { ...f, value });
    inputs[f.name] = el.querySelector(`[name="${f.name}"]`);
    form.append(el);
  }
  const conflict = h("div", { class: "conflict", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, spec.submitLabel || "Save");
  form.append(conflict, h("div", { class: "row" }, submit, spec.extraButtons || []));

  const values = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
  const fill = (vals) => { for (const [k, el] of Object.entries(inputs)) el.value = vals[k] ?? ""; };

  async function send() {
    clearErrors(form);
    const body = spec.read ? spec.read(values()) : values();
    const bad = spec.check?.(body);
    if (bad) return showError(form, { message: bad.message, body: { field: bad.field } });
    try {
      const res = await spec.save(body, version);
      version = res.version;
      base = values();
      conflict.hidden = true;
      toast("Saved.");
      spec.saved?.(res.data, res.version);
    } catch (err) {
      if (err.code === "version_conflict") return showConflict(err);
      showError(form, err);
    }
  }

  async function showConflict(err) {
    const mine = values();
    const cur = await spec.load();
    const theirs = spec.valuesOf(cur.data);
    const edited = spec.fields.filter((f) => String(mine[f.name] ?? "") !== String(base[f.name] ?? "")).map((f) => f.name);
    const rows = spec.fields.filter((f) => String(theirs[f.name] ?? "") !== String(mine[f.name] ?? ""))
      .map((f) => h("tr", {}, h("th", { scope: "row" }, f.label), h("td", { class: "theirs" }, String(theirs[f.name] ?? "")),
        h("td", {}, String(mine[f.name] ?? ""))));
    const take = h("button", { type: "button", class: "take-theirs" }, "Use their version");
    const redo = h("button", { type: "button", class: "primary redo" }, "Apply my changes to their version");
    const rebase = () => { version = cur.version; base = { ...theirs }; fill(theirs); conflict.hidden = true; };
    take.onclick = () => { rebase(); spec.saved?.(cur.data, cur.version); };
    redo.onclick = () => {
      rebase();
      for (const name of edited) inputs[name].value = mine[name];
      busy(redo, send);
    };
    conflict.replaceChildren(
      h("p", {}, `Another admin changed this record while you were editing (${err.message}). It is now version ${cur.version}.`),
      h("table", { class: "diff" }, h("thead", {}, h("tr", {}, h("th", {}, "Field"), h("th", {}, "Newer (saved)"), h("th", {}, "Yours (not saved)"))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 3 }, "Same values as yours.")))),
      h("p", {}, edited.length ? `Your changes: ${edited.map((n) => spec.fields.find((f) => f.name === n).label).join(", ")}.` : "You changed nothing."),
      h("div", { class: "row" }, take, redo));
    conflict.hidden = false;
    take.focus();
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); busy(submit, send); });
  form.setVersion = (v) => { version = v; };
  form.getVersion = () => version;
  form.inputs = inputs;
  return form;
}

// deleteButton deletes the record at path (at the form's version) once the
// admin confirms question, then goes to the list at back. A refusal says
// what still uses the record (the API's referenced_by: table → ids) in
// the returned message slot.
export function deleteButton(label, question, path, back) {
  const button = h("button", { type: "button", class: "danger" }, label);
  const message = h("p", { class: "error", role: "alert" });
  button.wire = (form) => {
    button.onclick = () => busy(button, async () => {
      if (!(await confirmDialog(label + "?", question(), "Delete"))) return;
      try {
        await api("DELETE", path, { version: form.getVersion() });
        toast("Deleted.");
        go(back);
      } catch (err) {
        message.textContent = referencedBy(err);
      }
    });
  };
  button.message = message;
  return button;
}

function referencedBy(err) {
  const by = err.body?.referenced_by;
  if (!by) return err.message;
  const parts = Object.entries(by).map(([table, ids]) => `${table} ${ids.join(", ")}`);
  return `${err.message} Still used by: ${parts.join("; ")}.`;
}
