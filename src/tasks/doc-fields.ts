/**
 * lm-eval's `doc_to_text`, `doc_to_target`, `doc_to_choice` and `resolve_field`, rule for rule
 * (`lm_eval/api/task.py`, ConfigurableTask): a field name of the dataset gives the field's value; anything else is
 * a Jinja template, whose text becomes an int when it is all digits and the task has choices (`"2"` -> 2), a list
 * when a target renders as `[...]`, and is always `literal_eval`ed for choices; a `!function` hook is called.
 */
import { ModelmapError } from "../core/errors.ts";
import type { Doc } from "./dataset.ts";
import { renderTemplate } from "./jinja.ts";
import type { LoadedTask } from "./loader.ts";
import { literalEval } from "./py-values.ts";
import { FunctionRef } from "./pyyaml.ts";

/** Python's `str.isdigit()` (Unicode decimal and other digits). */
function isDigits(s: string): boolean {
  return s !== "" && /^[\p{Nd}\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089]+$/u.test(s);
}

export class DocFields {
  constructor(
    readonly task: LoadedTask,
    /** Column names of the evaluated split (lm-eval's `self.features`). */
    readonly features: ReadonlySet<string>,
  ) {}

  private where(field: string): string {
    return `${this.task.file}: task '${this.task.name}' ${field}`;
  }

  private call(ref: FunctionRef, doc: Doc, field: string): unknown {
    const h = this.task.hooks.get(ref);
    if (!h) throw new ModelmapError("internal", `${this.where(field)}: hook ${ref.ref} is not bound`);
    const f = h.fn;
    switch (f.kind) {
      case "doc_to_text":
      case "doc_to_target":
      case "doc_to_choice":
        return f.fn(doc);
      default:
        throw new ModelmapError("input", `${this.where(field)}: '!function ${ref.ref}' is a ${f.kind} hook`);
    }
  }

  private get hasChoices(): boolean {
    const c = this.task.config.doc_to_choice;
    return c !== undefined && c !== null;
  }

  /** `doc_to_text`: text, or an int (the index of the right context, for multiple-input tasks). */
  text(doc: Doc, spec: unknown = this.task.config.doc_to_text): unknown {
    if (typeof spec === "number") return spec;
    if (typeof spec === "string") {
      if (this.features.has(spec)) return doc[spec];
      const s = renderTemplate(spec, doc, this.where("doc_to_text"));
      return isDigits(s) && this.hasChoices ? literalEval(s) : s;
    }
    if (spec instanceof FunctionRef) return this.call(spec, doc, "doc_to_text");
    throw new ModelmapError("input", `${this.where("doc_to_text")} is not set`, {
      location: { file: this.task.file, field: "doc_to_text" },
    });
  }

  /** `doc_to_target`: a choice index, the target text, or a list (several targets). */
  target(doc: Doc, spec: unknown = this.task.config.doc_to_target): unknown {
    if (typeof spec === "number") return spec;
    if (typeof spec === "string") {
      if (this.features.has(spec)) return doc[spec];
      const s = renderTemplate(spec, doc, this.where("doc_to_target"));
      if (isDigits(s) && this.hasChoices) return literalEval(s);
      if (s.length >= 2 && s.startsWith("[") && s.endsWith("]")) {
        try {
          return literalEval(s);
        } catch {
          return s;
        }
      }
      return s;
    }
    if (Array.isArray(spec)) return spec;
    if (spec instanceof FunctionRef) return this.call(spec, doc, "doc_to_target");
    throw new ModelmapError("input", `${this.where("doc_to_target")} is not set`, {
      location: { file: this.task.file, field: "doc_to_target" },
    });
  }

  /** `doc_to_choice`: the list of choices. */
  choices(doc: Doc, spec: unknown = this.task.config.doc_to_choice): unknown[] {
    let v: unknown;
    if (typeof spec === "string") {
      if (this.features.has(spec)) v = doc[spec];
      else {
        const s = renderTemplate(spec, doc, this.where("doc_to_choice"));
        try {
          v = literalEval(s);
        } catch (e) {
          throw new ModelmapError(
            "input",
            `${this.where("doc_to_choice")} rendered ${JSON.stringify(s.slice(0, 200))}, which is not a Python list: ${(e as Error).message}`,
          );
        }
      }
    } else if (Array.isArray(spec)) v = spec;
    else if (spec && typeof spec === "object" && !(spec instanceof FunctionRef)) v = Object.values(spec);
    else if (spec instanceof FunctionRef) v = this.call(spec, doc, "doc_to_choice");
    else
      throw new ModelmapError("input", `${this.where("doc_to_choice")} is not set`, {
        location: { file: this.task.file, field: "doc_to_choice" },
      });
    if (!Array.isArray(v))
      throw new ModelmapError("input", `${this.where("doc_to_choice")} gave ${JSON.stringify(v)}, not a list`);
    return v;
  }

  /** lm-eval's `doc_to_prefix`: a column's value, else the rendered template. */
  prefix(doc: Doc, field: string): unknown {
    return this.features.has(field) ? doc[field] : renderTemplate(field, doc, this.where("gen_prefix"));
  }

  /** lm-eval's `resolve_field` (description, gen_prefix): a field's value, else the rendered template. */
  resolveField(doc: Doc, field: string | null | undefined, what: string): unknown {
    if (!field) return undefined;
    return Object.hasOwn(doc, field) ? doc[field] : renderTemplate(field, doc, this.where(what));
  }
}
