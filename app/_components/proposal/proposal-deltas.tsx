"use client";

import { useEffect, useId, useState } from "react";
import type { CapabilityDelta, DeltaOperation, RequirementDraft, ValidationIssue } from "@/lib/schemas/openspec";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { Badge, Button } from "../ui/ui";

/**
 * The proposal form's requirements step (issue 13 item 1): the capabilities a change touches and,
 * for each, requirements ADDED / MODIFIED (prefilled from the current spec) / REMOVED / RENAMED,
 * each requirement with SHALL/MUST text and at least one scenario. Controlled: the form owns the
 * value and sends it as `specDeltas`.
 */

const INPUT = "block w-full min-w-0 rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950";
const OPS = ["ADDED", "MODIFIED", "REMOVED", "RENAMED"] as const;

export const emptyRequirement = (): RequirementDraft => ({
  name: "",
  text: "",
  scenarios: [{ name: "", steps: ["**WHEN** ", "**THEN** "] }],
});

function emptyOperation(op: DeltaOperation["op"]): DeltaOperation {
  if (op === "REMOVED") return { op, name: "", reason: "", migration: "" };
  if (op === "RENAMED") return { op, from: "", to: "" };
  return { op, requirement: emptyRequirement() };
}

/** Issues of the live check that belong to one operation (`specDeltas.<c>.operations.<o>…`). */
function issuesAt(issues: ValidationIssue[], prefix: string): ValidationIssue[] {
  return issues.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`));
}

export function ProposalDeltas({
  projectId,
  value,
  onChange,
  issues,
}: {
  projectId: string;
  value: CapabilityDelta[];
  onChange: (next: CapabilityDelta[]) => void;
  issues: ValidationIssue[];
}) {
  const trpc = useTRPC();
  const specs = useQuery({ ...trpc.openspec.listSpecs.queryOptions({ projectId }), enabled: Boolean(projectId) });
  const update = (i: number, next: CapabilityDelta | null) =>
    onChange(next === null ? value.filter((_, k) => k !== i) : value.map((c, k) => (k === i ? next : c)));
  return (
    <fieldset className="space-y-4 rounded-lg border border-zinc-200 p-3 sm:p-4 dark:border-zinc-800">
      <legend className="px-1 text-sm font-medium">Capabilities and requirements</legend>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        OpenSpec needs at least one requirement change per proposal. Name each capability the change touches (its folder under specs/), then
        what happens to its requirements.
      </p>
      {value.map((cap, i) => (
        <CapabilityEditor
          key={i}
          index={i}
          projectId={projectId}
          value={cap}
          existing={(specs.data ?? []).map((s) => s.id)}
          onChange={(next) => update(i, next)}
          issues={issuesAt(issues, `specDeltas.${i}`)}
        />
      ))}
      <datalist id="workdeck-spec-ids">
        {(specs.data ?? []).map((s) => (
          <option key={s.id} value={s.id} />
        ))}
      </datalist>
      <Button onClick={() => onChange([...value, { capability: "", operations: [emptyOperation("ADDED")] }])}>Add capability</Button>
    </fieldset>
  );
}

function CapabilityEditor({
  index,
  projectId,
  value,
  existing,
  onChange,
  issues,
}: {
  index: number;
  projectId: string;
  value: CapabilityDelta;
  existing: string[];
  onChange: (next: CapabilityDelta | null) => void;
  issues: ValidationIssue[];
}) {
  const id = useId();
  const trpc = useTRPC();
  const isExisting = existing.includes(value.capability);
  const current = useQuery({
    ...trpc.openspec.specRequirements.queryOptions({ projectId, specId: value.capability }),
    enabled: isExisting,
  });
  const setOp = (k: number, next: DeltaOperation | null) =>
    onChange({
      ...value,
      operations: next === null ? value.operations.filter((_, j) => j !== k) : value.operations.map((o, j) => (j === k ? next : o)),
    });
  const own = issues.filter(
    (i) => i.path === `specDeltas.${index}.capability` || i.path === `specDeltas.${index}.operations` || /^specs\//.test(i.path),
  );
  return (
    <div
      className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-800"
      role="group"
      aria-label={`Capability ${index + 1}`}
    >
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1 space-y-1">
          <label htmlFor={`${id}-cap`} className="block text-sm font-medium">
            Capability
          </label>
          <input
            id={`${id}-cap`}
            list="workdeck-spec-ids"
            value={value.capability}
            onChange={(e) => onChange({ ...value, capability: e.target.value.trim().toLowerCase() })}
            placeholder="e.g. refunds"
            className={`${INPUT} font-mono`}
          />
        </div>
        {value.capability ? <Badge tone={isExisting ? "blue" : "green"}>{isExisting ? "existing spec" : "new spec"}</Badge> : null}
        <Button variant="ghost" onClick={() => onChange(null)}>
          Remove capability
        </Button>
      </div>
      {own.map((i, k) => (
        <p key={k} className="text-xs text-red-600 dark:text-red-400">
          {i.message}
        </p>
      ))}
      {value.operations.map((op, k) => (
        <OperationEditor
          key={k}
          path={`specDeltas.${index}.operations.${k}`}
          value={op}
          current={current.data?.requirements ?? []}
          onChange={(next) => setOp(k, next)}
          issues={issues.filter((i) => i.path.startsWith(`specDeltas.${index}.operations.${k}`))}
        />
      ))}
      <div className="flex flex-wrap gap-2">
        {OPS.map((op) => (
          <Button
            key={op}
            variant="ghost"
            disabled={op !== "ADDED" && !isExisting}
            title={op !== "ADDED" && !isExisting ? "Only an existing spec has requirements to modify, remove or rename" : undefined}
            onClick={() => onChange({ ...value, operations: [...value.operations, emptyOperation(op)] })}
          >
            + {op.toLowerCase()}
          </Button>
        ))}
      </div>
    </div>
  );
}

type CurrentRequirement = { name: string; text: string; scenarios: { name: string; steps: string[] }[] };

function OperationEditor({
  path,
  value,
  current,
  onChange,
  issues,
}: {
  path: string;
  value: DeltaOperation;
  current: CurrentRequirement[];
  onChange: (next: DeltaOperation | null) => void;
  issues: ValidationIssue[];
}) {
  const id = useId();
  const err = (suffix: string) => issues.find((i) => i.path === `${path}.${suffix}`)?.message;
  const names = current.map((r) => r.name);
  const pick = (label: string, selected: string, set: (name: string) => void) => (
    <div className="space-y-1">
      <label htmlFor={`${id}-${label}`} className="block text-sm font-medium">
        {label}
      </label>
      <select id={`${id}-${label}`} value={selected} onChange={(e) => set(e.target.value)} className={INPUT}>
        <option value="">Pick a requirement…</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <div className="space-y-2 border-l-2 border-zinc-200 pl-3 dark:border-zinc-700">
      <div className="flex items-center gap-2">
        <Badge tone={value.op === "ADDED" ? "green" : value.op === "MODIFIED" ? "blue" : value.op === "REMOVED" ? "red" : "violet"}>
          {value.op}
        </Badge>
        <Button variant="ghost" onClick={() => onChange(null)} aria-label={`Remove this ${value.op.toLowerCase()} requirement`}>
          Remove
        </Button>
      </div>
      {value.op === "MODIFIED"
        ? pick("Requirement to modify", names.includes(value.requirement.name) ? value.requirement.name : "", (name) => {
            // Prefilled whole from the current spec: a MODIFIED block restates the requirement.
            const found = current.find((r) => r.name === name);
            if (found)
              onChange({
                op: "MODIFIED",
                requirement: {
                  name: found.name,
                  text: found.text,
                  scenarios: found.scenarios.length ? found.scenarios : emptyRequirement().scenarios,
                },
              });
          })
        : null}
      {value.op === "ADDED" || value.op === "MODIFIED" ? (
        <RequirementFields
          idBase={id}
          value={value.requirement}
          onChange={(requirement) => onChange({ ...value, requirement })}
          err={(s) => err(`requirement.${s}`)}
          scenarioIssues={issues.filter((i) => i.path.startsWith(`${path}.requirement.scenarios`))}
        />
      ) : null}
      {value.op === "REMOVED" ? (
        <>
          {pick("Requirement to remove", value.name, (name) => onChange({ ...value, name }))}
          <TextField id={`${id}-reason`} label="Reason" value={value.reason ?? ""} onChange={(reason) => onChange({ ...value, reason })} />
          <TextField
            id={`${id}-migration`}
            label="Migration"
            value={value.migration ?? ""}
            onChange={(migration) => onChange({ ...value, migration })}
          />
        </>
      ) : null}
      {value.op === "RENAMED" ? (
        <>
          {pick("Requirement to rename", value.from, (from) => onChange({ ...value, from }))}
          <TextField id={`${id}-to`} label="New name" value={value.to} onChange={(to) => onChange({ ...value, to })} error={err("to")} />
        </>
      ) : null}
      {issues
        .filter((i) => !i.path.startsWith(`${path}.`))
        .map((i, k) => (
          <p key={k} className="text-xs text-red-600 dark:text-red-400">
            {i.message}
          </p>
        ))}
    </div>
  );
}

function TextField({
  id,
  label,
  value,
  onChange,
  error,
  area,
  hint,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  area?: boolean;
  hint?: string;
}) {
  const props = {
    id,
    value,
    onChange: (e: { target: { value: string } }) => onChange(e.target.value),
    "aria-invalid": error ? true : undefined,
    "aria-describedby": error ? `${id}-error` : undefined,
    className: INPUT,
  };
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {area ? <textarea rows={3} {...props} /> : <input {...props} />}
      {error ? (
        <p id={`${id}-error`} className="text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      ) : hint ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">{hint}</p>
      ) : null}
    </div>
  );
}

function RequirementFields({
  idBase,
  value,
  onChange,
  err,
  scenarioIssues,
}: {
  idBase: string;
  value: RequirementDraft;
  onChange: (next: RequirementDraft) => void;
  err: (suffix: string) => string | undefined;
  scenarioIssues: ValidationIssue[];
}) {
  const setScenario = (k: number, next: RequirementDraft["scenarios"][number] | null) =>
    onChange({
      ...value,
      scenarios: next === null ? value.scenarios.filter((_, j) => j !== k) : value.scenarios.map((s, j) => (j === k ? next : s)),
    });
  return (
    <div className="space-y-2">
      <TextField
        id={`${idBase}-name`}
        label="Requirement name"
        value={value.name}
        onChange={(name) => onChange({ ...value, name })}
        error={err("name")}
      />
      <TextField
        id={`${idBase}-text`}
        label="Requirement text"
        area
        value={value.text}
        onChange={(text) => onChange({ ...value, text })}
        error={err("text")}
        hint="Says what the system SHALL or MUST do."
      />
      {value.scenarios.map((s, k) => (
        <div key={k} className="space-y-2 rounded-md bg-zinc-50 p-2 dark:bg-zinc-900" role="group" aria-label={`Scenario ${k + 1}`}>
          <TextField
            id={`${idBase}-s${k}-name`}
            label="Scenario"
            value={s.name}
            onChange={(name) => setScenario(k, { ...s, name })}
            error={err(`scenarios.${k}.name`)}
          />
          <TextField
            id={`${idBase}-s${k}-steps`}
            label="Steps"
            area
            value={s.steps.join("\n")}
            onChange={(text) => setScenario(k, { ...s, steps: text.split("\n") })}
            error={scenarioIssues.find((i) => i.path.includes(`scenarios.${k}.steps`))?.message}
            hint="One per line: **WHEN** …, **THEN** …"
          />
          {value.scenarios.length > 1 ? (
            <Button variant="ghost" onClick={() => setScenario(k, null)}>
              Remove scenario
            </Button>
          ) : null}
        </div>
      ))}
      {err("scenarios") ? <p className="text-xs text-red-600 dark:text-red-400">{err("scenarios")}</p> : null}
      <Button
        variant="ghost"
        onClick={() => onChange({ ...value, scenarios: [...value.scenarios, { name: "", steps: ["**WHEN** ", "**THEN** "] }] })}
      >
        Add scenario
      </Button>
    </div>
  );
}

/** Steps typed with blank lines dropped, so the live check and the write see what the file will hold. */
export function cleanDeltas(value: CapabilityDelta[]): CapabilityDelta[] {
  return value.map((c) => ({
    ...c,
    operations: c.operations.map((o) =>
      o.op === "ADDED" || o.op === "MODIFIED"
        ? {
            ...o,
            requirement: {
              ...o.requirement,
              scenarios: o.requirement.scenarios.map((s) => ({
                ...s,
                steps: s.steps.map((x) => x.trim()).filter((x) => x && !/^\*\*(WHEN|THEN)\*\*$/.test(x)),
              })),
            },
          }
        : o,
    ),
  }));
}

/**
 * The live check (openspec.validateProposal, the Specs tab's validator over the project with the
 * draft laid on top), a moment after the person stops typing.
 */
export function useLiveValidation(draft: unknown, enabled: boolean) {
  const trpc = useTRPC();
  const [debounced, setDebounced] = useState(draft);
  const key = JSON.stringify(draft);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(JSON.parse(key)), 400);
    return () => clearTimeout(t);
  }, [key]);
  return useQuery({
    ...trpc.openspec.validateProposal.queryOptions(debounced as { projectId: string }),
    enabled,
    placeholderData: (prev) => prev,
  });
}

export function LiveValidation({
  state,
  pending,
}: {
  state: { valid: boolean; errors: number; warnings: number; issues: ValidationIssue[]; changeId: string | null } | undefined;
  pending: boolean;
}) {
  if (!state) return null;
  const shown = state.issues.filter((i) => i.level !== "INFO").slice(0, 8);
  return (
    <div
      role="status"
      aria-live="polite"
      aria-label="Validation"
      className={`rounded-md border p-3 text-sm ${state.valid ? "border-emerald-300 bg-emerald-50 dark:border-emerald-800 dark:bg-emerald-950" : "border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950"}`}
    >
      <p className="font-medium">
        {state.valid ? "Valid: OpenSpec will accept this change" : `Not valid yet: ${state.errors} error${state.errors === 1 ? "" : "s"}`}
        {state.warnings ? `, ${state.warnings} warning${state.warnings === 1 ? "" : "s"}` : ""}
        {pending ? " (checking…)" : ""}
        {state.changeId ? <span className="ml-2 font-mono text-xs text-zinc-500">{state.changeId}</span> : null}
      </p>
      {shown.length ? (
        <ul className="mt-1 list-disc space-y-0.5 pl-5 text-xs">
          {shown.map((i, k) => (
            <li key={k}>
              <span className="font-mono">{i.path}</span>: {i.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
