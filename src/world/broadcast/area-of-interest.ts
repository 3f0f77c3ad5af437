/**
 * The area-of-interest grid: square cells of `size` world units over (x, y). A client
 * hears of the players in its own cell and the eight around it.
 */
export type CellKey = string;

export function cellOf(x: number, y: number, size: number): CellKey {
  return `${Math.floor(x / size)}:${Math.floor(y / size)}`;
}

/** The cell itself and its eight neighbours. */
export function neighbourhood(cell: CellKey): CellKey[] {
  const [cx, cy] = cell.split(':').map(Number);
  const cells: CellKey[] = [];
  for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) cells.push(`${cx + dx}:${cy + dy}`);
  return cells;
}

export const cellRoom = (cell: CellKey): string => `cell:${cell}`;
/** The same cell's clients in the compact wire mode (they get packed frames, not arrays). */
export const packedCellRoom = (cell: CellKey): string => `packed:cell:${cell}`;

/**
 * For one tick: which cell rooms get which entries. Entries are grouped by the cell
 * their player is in; every cell next to a changed cell receives the union of its
 * neighbourhood's entries, built once per cell and encoded once by Socket.IO.
 */
export function planAreaBroadcast<E extends { x: number; y: number }>(entries: Iterable<E>, size: number): Map<CellKey, E[]> {
  const byCell = new Map<CellKey, E[]>();
  for (const e of entries) {
    const cell = cellOf(e.x, e.y, size);
    const list = byCell.get(cell);
    if (list) list.push(e);
    else byCell.set(cell, [e]);
  }
  const plan = new Map<CellKey, E[]>();
  for (const changed of byCell.keys()) {
    for (const target of neighbourhood(changed)) {
      if (plan.has(target)) continue;
      const union: E[] = [];
      for (const near of neighbourhood(target)) {
        const list = byCell.get(near);
        if (list) union.push(...list);
      }
      plan.set(target, union);
    }
  }
  return plan;
}
