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
