import type { EntryConfig, EntryStatus } from '@429chain/server/admin-api';
import {
  type Announcements,
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import {
  arrayMove,
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { StateBadge, worstState } from './state-badge.tsx';

/** An entry with a stable id for drag-and-drop (entries themselves may repeat). */
export interface KeyedEntry {
  key: string;
  entry: EntryConfig;
}

interface SortableEntryListProps {
  entries: KeyedEntry[];
  /** Live status of this chain's entries. */
  statuses: EntryStatus[];
  onChange: (entries: KeyedEntry[]) => void;
  disabled?: boolean | undefined;
  /** Show each entry's tier, editable (chains with `strategy: expiring-first`). @default false */
  tiers?: boolean | undefined;
}

/** Sensor options are constants so the sensors stay the same across renders (live status re-renders often). */
const pointerOptions = { activationConstraint: { distance: 4 } };
const keyboardOptions = { coordinateGetter: sortableKeyboardCoordinates };

const label = (entry: EntryConfig) => `${entry.provider} / ${entry.model}`;

/**
 * The entries of a chain, in the order they are tried. Reorder by dragging the
 * handle, with the keyboard (focus the handle, Space to lift, arrows to move, Space
 * to drop, Escape to cancel), or with the up and down buttons.
 */
export function SortableEntryList({ entries, statuses, onChange, disabled, tiers }: SortableEntryListProps) {
  const sensors = useSensors(
    useSensor(PointerSensor, pointerOptions),
    useSensor(KeyboardSensor, keyboardOptions),
  );
  const nameOf = (id: string | number) => {
    const found = entries.find((item) => item.key === id);
    return found ? label(found.entry) : 'entry';
  };
  const positionOf = (id: string | number) => entries.findIndex((item) => item.key === id) + 1;
  const announcements: Announcements = {
    onDragStart: ({ active }) =>
      `Picked up ${nameOf(active.id)}, position ${positionOf(active.id)} of ${entries.length}.`,
    onDragOver: ({ active, over }) =>
      over ? `${nameOf(active.id)} is over position ${positionOf(over.id)} of ${entries.length}.` : undefined,
    onDragEnd: ({ active, over }) =>
      over
        ? `${nameOf(active.id)} dropped at position ${positionOf(over.id)} of ${entries.length}.`
        : `${nameOf(active.id)} dropped.`,
    onDragCancel: ({ active }) => `Moving ${nameOf(active.id)} was cancelled.`,
  };

  const move = (from: number, to: number) => {
    if (to < 0 || to >= entries.length || from === to) return;
    onChange(arrayMove(entries, from, to));
  };
  const handleDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    move(positionOf(active.id) - 1, positionOf(over.id) - 1);
  };

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCenter}
      onDragEnd={handleDragEnd}
      accessibility={{
        announcements,
        screenReaderInstructions: {
          draggable:
            'To reorder, press Space or Enter to lift the entry, use the arrow keys to move it, then Space or Enter to drop it, or Escape to cancel.',
        },
      }}
    >
      <SortableContext items={entries.map((item) => item.key)} strategy={verticalListSortingStrategy}>
        <ol className="entry-list" aria-label="Entries, tried in this order">
          {entries.map((item, index) => (
            <SortableEntryRow
              key={item.key}
              item={item}
              index={index}
              count={entries.length}
              statuses={statuses.filter(
                (status) => status.provider === item.entry.provider && status.model === item.entry.model,
              )}
              onMove={(to) => move(index, to)}
              onRemove={() => onChange(entries.filter((other) => other.key !== item.key))}
              onTier={
                tiers
                  ? (tier) =>
                      onChange(
                        entries.map((other) =>
                          other.key === item.key ? { ...other, entry: { ...other.entry, tier } } : other,
                        ),
                      )
                  : undefined
              }
              disabled={disabled}
            />
          ))}
        </ol>
      </SortableContext>
    </DndContext>
  );
}

function SortableEntryRow({
  item,
  index,
  count,
  statuses,
  onMove,
  onRemove,
  onTier,
  disabled,
}: {
  item: KeyedEntry;
  index: number;
  count: number;
  statuses: EntryStatus[];
  onMove: (to: number) => void;
  onRemove: () => void;
  /** Changes the entry's tier; the tier is shown only when given. */
  onTier?: ((tier: number) => void) | undefined;
  disabled?: boolean | undefined;
}) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } =
    useSortable({ id: item.key, disabled });
  const state = worstState(statuses.map((status) => status.state));
  const reason = statuses.find((status) => status.state === state)?.reason;
  const name = label(item.entry);
  return (
    <li
      ref={setNodeRef}
      className={`entry-row${isDragging ? ' entry-dragging' : ''}`}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      data-entry={name}
    >
      <button
        type="button"
        ref={setActivatorNodeRef}
        className="drag-handle"
        aria-label={`Move ${name} (position ${index + 1} of ${count})`}
        {...attributes}
        {...listeners}
      >
        <span aria-hidden="true">⠿</span>
      </button>
      <span className="entry-position" aria-hidden="true">
        {index + 1}
      </span>
      <span className="entry-name">
        <strong>{item.entry.provider}</strong> <span className="muted">/</span> {item.entry.model}
      </span>
      {onTier ? (
        <label className="entry-tier">
          <span className="small muted">Tier</span>
          <input
            type="number"
            min={1}
            step={1}
            value={item.entry.tier ?? 1}
            disabled={disabled}
            aria-label={`Tier of ${name}`}
            onChange={(event) => {
              const tier = Number(event.target.value);
              if (Number.isInteger(tier) && tier >= 1) onTier(tier);
            }}
          />
        </label>
      ) : null}
      <span className="entry-status">
        {state ? (
          <StateBadge state={state} reason={reason} />
        ) : (
          <span className="muted small">no status yet</span>
        )}
      </span>
      <span className="entry-buttons">
        <button
          type="button"
          className="button button-small icon-button"
          onClick={() => onMove(index - 1)}
          disabled={disabled || index === 0}
          aria-label={`Move ${name} up`}
          title="Move up"
        >
          <span aria-hidden="true">↑</span>
        </button>
        <button
          type="button"
          className="button button-small icon-button"
          onClick={() => onMove(index + 1)}
          disabled={disabled || index === count - 1}
          aria-label={`Move ${name} down`}
          title="Move down"
        >
          <span aria-hidden="true">↓</span>
        </button>
        <button
          type="button"
          className="button button-small button-danger-quiet"
          onClick={onRemove}
          disabled={disabled || count === 1}
          aria-label={`Remove ${name}`}
          title={count === 1 ? 'A chain needs at least one entry' : 'Remove'}
        >
          Remove
        </button>
      </span>
    </li>
  );
}
