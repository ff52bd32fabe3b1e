/** Form controls the pages share. */

/** A labelled select over [value, label] pairs, reporting the chosen value. */
export function Choice({
  label,
  value,
  options,
  onChange,
  first,
}: {
  label: string;
  value: string;
  options: ReadonlyArray<readonly [string, string]>;
  onChange: (value: string) => void;
  /** An option before the others, such as ["", "All projects"]. */
  first?: readonly [string, string];
}) {
  return (
    <label>
      {label}
      <select
        aria-label={label}
        value={value}
        onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
      >
        {[...(first ? [first] : []), ...options].map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A labelled text input of a filter form, prefilled from the URL. */
export function TextFilter({
  name,
  label,
  params,
  placeholder,
}: {
  name: string;
  label: string;
  params: Record<string, string>;
  placeholder?: string;
}) {
  return (
    <label>
      {label}
      <input name={name} aria-label={label} defaultValue={params[name] ?? ""} placeholder={placeholder} />
    </label>
  );
}

export function RenameButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" class="link" onClick={onClick}>
      Rename
    </button>
  );
}

/** The data-mode choices of the triage lists (feedback, issues). */
export const DATA_MODES: ReadonlyArray<readonly [string, string]> = [
  ["production", "Production"],
  ["development", "Development"],
  ["all", "Both"],
];

/** An ISO time as the dashboard shows it: date and minutes, UTC. */
export const minute = (iso: string) => iso.slice(0, 16).replace("T", " ");

/** The ranges the metrics and funnels pages offer, as `since` values. */
export const RANGES = ["24h", "7d", "30d", "90d"] as const;

/** A row of buttons choosing one range. */
export function RangeButtons({ value, onChange }: { value: string; onChange: (range: string) => void }) {
  return (
    <fieldset class="periods" aria-label="Period">
      {RANGES.map((p) => (
        <button key={p} type="button" class={p === value ? "active" : ""} onClick={() => onChange(p)}>
          {p}
        </button>
      ))}
    </fieldset>
  );
}

/** A share as the dashboard shows it: a percentage with the API's decimals, or — with none. */
export const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : `${value}%`;

/** A duration in milliseconds, in the unit that reads best: ms, s, min or h. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
