/** Calendar days in a time zone, for the "today" and "upcoming" views (IANA names, as Intl knows them). */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size > 500) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

export function isTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(tz: string, instant: Date): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** The zone's offset from UTC at an instant, in ms (east positive). */
function offsetMs(tz: string, instant: Date): number {
  const w = wallClock(tz, instant);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The first instant of a local calendar day (month/day may overflow, as Date.UTC allows). */
function startOfLocalDay(tz: string, year: number, month: number, day: number): Date {
  const midnightUtc = Date.UTC(year, month - 1, day);
  let guess = midnightUtc;
  for (let i = 0; i < 3; i++) {
    const next = midnightUtc - offsetMs(tz, new Date(guess));
    if (next === guess) break;
    guess = next;
  }
  // Where midnight does not exist (a DST jump at 00:00) the day starts at the first valid instant after it.
  const w = wallClock(tz, new Date(guess));
  if (Date.UTC(w.year, w.month - 1, w.day) < midnightUtc) guess += 3600_000;
  return new Date(guess);
}

/** Today in `tz` at `now`: [start, end) as instants. */
export function dayBounds(tz: string, now: Date): { start: Date; end: Date } {
  const w = wallClock(tz, now);
  return {
    start: startOfLocalDay(tz, w.year, w.month, w.day),
    end: startOfLocalDay(tz, w.year, w.month, w.day + 1),
  };
}
