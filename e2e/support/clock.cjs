/**
 * Preloaded with `node --require` (through NODE_OPTIONS): shifts the process's
 * clock by E2E_CLOCK_SHIFT_DAYS days (may be negative or fractional), so the
 * program computes the token's rotation period as if run that much later.
 * `new Date()`, `Date()` and `Date.now()` are shifted; `new Date(x)` is not.
 */
const RealDate = Date;
const days = Number(process.env.E2E_CLOCK_SHIFT_DAYS ?? "0");
if (!Number.isFinite(days)) {
  throw new Error(
    `E2E_CLOCK_SHIFT_DAYS must be a number of days; given ${process.env.E2E_CLOCK_SHIFT_DAYS}`,
  );
}
const shiftMs = days * 24 * 60 * 60 * 1000;
const now = () => RealDate.now() + shiftMs;

function ShiftedDate(...args) {
  if (!new.target) return new RealDate(now()).toString();
  return args.length === 0 ? new RealDate(now()) : new RealDate(...args);
}
ShiftedDate.prototype = RealDate.prototype;
ShiftedDate.now = now;
ShiftedDate.parse = RealDate.parse;
ShiftedDate.UTC = RealDate.UTC;
Object.defineProperty(ShiftedDate, "name", { value: "Date" });

if (shiftMs !== 0) globalThis.Date = ShiftedDate;
