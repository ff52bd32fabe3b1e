import { useState } from "preact/hooks";
import { api, type Funnel, type FunnelStep, type Project } from "../api";
import { Choice } from "./fields";

/** A step as the form edits it; attribute filters (set through the API) are kept as they are. */
interface Draft {
  name: string;
  step_name: string;
  screen_name: string;
  attributes?: Record<string, string>;
}

const draftOf = (s: FunnelStep): Draft => ({
  name: s.name,
  step_name: s.event_filter.step_name ?? "",
  screen_name: s.event_filter.screen_name ?? "",
  ...(s.event_filter.attributes ? { attributes: s.event_filter.attributes } : {}),
});

/** Blank fields are left out: the server says what a step lacks, in Owlmetry's words. */
const stepOf = (d: Draft): FunnelStep => ({
  name: d.name,
  event_filter: {
    ...(d.step_name ? { step_name: d.step_name } : {}),
    ...(d.screen_name ? { screen_name: d.screen_name } : {}),
    ...(d.attributes ? { attributes: d.attributes } : {}),
  },
});

/** What the slug becomes while nobody has typed one: the name in Owlmetry's slug letters. */
const slugOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

/**
 * Creates a funnel (`funnel` null) or edits one: name, slug (fixed once created), description and
 * the ordered steps. The server checks everything; its message is shown as it is.
 */
export function FunnelEditor({
  funnel,
  projects,
  onSaved,
  onCancel,
}: {
  funnel: Funnel | null;
  /** Where a new funnel may go (the first is the default). */
  projects: readonly Project[];
  onSaved: (saved: Funnel) => void;
  onCancel: () => void;
}) {
  const [projectId, setProjectId] = useState(funnel?.project_id ?? projects[0]?.id ?? "");
  const [name, setName] = useState(funnel?.name ?? "");
  const [slug, setSlug] = useState(funnel?.slug ?? "");
  const [slugTyped, setSlugTyped] = useState(Boolean(funnel));
  const [description, setDescription] = useState(funnel?.description ?? "");
  const [steps, setSteps] = useState<Draft[]>(
    funnel ? funnel.steps.map(draftOf) : [{ name: "", step_name: "", screen_name: "" }],
  );
  const [error, setError] = useState("");
  const change = (i: number, field: keyof Omit<Draft, "attributes">, value: string) =>
    setSteps(steps.map((s, k) => (k === i ? { ...s, [field]: value } : s)));
  const move = (i: number, by: number) => {
    const next = [...steps];
    const [step] = next.splice(i, 1);
    next.splice(i + by, 0, step as Draft);
    setSteps(next);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const body = { name, description: description || null, steps: steps.map(stepOf) };
    try {
      const saved = funnel
        ? await api<Funnel>("PATCH", `/v1/projects/${funnel.project_id}/funnels/${funnel.slug}`, body)
        : await api<Funnel>("POST", `/v1/projects/${projectId}/funnels`, { ...body, slug });
      onSaved(saved);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const text = (label: string, value: string, set: (v: string) => void, placeholder = "") => (
    <label>
      {label}
      <input
        aria-label={label}
        value={value}
        placeholder={placeholder}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
      />
    </label>
  );
  return (
    <form class="funnel-editor" onSubmit={save} data-testid="funnel-editor">
      <h2>{funnel ? `Edit ${funnel.name}` : "New funnel"}</h2>
      <div class="controls">
        {!funnel && projects.length > 1 && (
          <Choice
            label="Project"
            value={projectId}
            options={projects.map((p) => [p.id, p.name] as const)}
            onChange={setProjectId}
          />
        )}
        {text("Name", name, (v) => {
          setName(v);
          if (!slugTyped) setSlug(slugOf(v));
        })}
        {funnel ? (
          <span class="muted">{funnel.slug}</span>
        ) : (
          text("Slug", slug, (v) => {
            setSlug(v);
            setSlugTyped(true);
          })
        )}
        {text("Description", description, setDescription, "optional")}
      </div>
      <ol class="steps">
        {steps.map((s, i) => (
          <li key={i} data-testid="funnel-step">
            {text(`Step ${i + 1} name`, s.name, (v) => change(i, "name", v))}
            {text(
              `Step ${i + 1} step_name`,
              s.step_name,
              (v) => change(i, "step_name", v),
              "sent as step:<name>",
            )}
            {text(`Step ${i + 1} screen`, s.screen_name, (v) => change(i, "screen_name", v), "optional")}
            {s.attributes && (
              <span class="muted small">and {Object.keys(s.attributes).length} attribute(s)</span>
            )}
            <button
              type="button"
              aria-label={`Move step ${i + 1} up`}
              disabled={i === 0}
              onClick={() => move(i, -1)}
            >
              ↑
            </button>
            <button
              type="button"
              aria-label={`Move step ${i + 1} down`}
              disabled={i === steps.length - 1}
              onClick={() => move(i, 1)}
            >
              ↓
            </button>
            <button
              type="button"
              class="danger"
              aria-label={`Remove step ${i + 1}`}
              disabled={steps.length === 1}
              onClick={() => setSteps(steps.filter((_, k) => k !== i))}
            >
              ×
            </button>
          </li>
        ))}
      </ol>
      <div class="actions">
        <button
          type="button"
          onClick={() => setSteps([...steps, { name: "", step_name: "", screen_name: "" }])}
        >
          Add step
        </button>
        <button type="submit" class="active">
          Save funnel
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error && (
        <p class="error" role="alert" data-testid="funnel-error">
          {error}
        </p>
      )}
    </form>
  );
}
