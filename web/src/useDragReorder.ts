import { useState, type DragEvent } from 'react';

/**
 * Reordering by drag and drop (list columns, the column chooser's rows): the
 * props for each draggable element, keyed by what it moves. A drop calls
 * `onMove(key, target)`: move `key` to where `target` is.
 */
export function useDragReorder(onMove: (key: string, target: string) => void) {
  const [dragging, setDragging] = useState<string | null>(null);
  return (key: string) => ({
    draggable: true,
    'data-column': key,
    className: dragging === key ? 'dragging' : undefined,
    onDragStart: (e: DragEvent) => {
      e.dataTransfer.setData('text/plain', key);
      e.dataTransfer.effectAllowed = 'move';
      setDragging(key);
    },
    onDragEnd: () => setDragging(null),
    onDragOver: (e: DragEvent) => e.preventDefault(),
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      const moved = e.dataTransfer.getData('text/plain') || dragging;
      setDragging(null);
      if (moved) onMove(moved, key);
    },
  });
}
