import { clock } from '../functions/platform/clock';

// The fixtures in events/ describe incidents detected at 2026-11-23T10:15:30Z. Handlers that judge
// an incident's age (the stale-incident check) see a clock that starts 30 s after that and runs at
// real speed, so the tests mean the same thing on any date.
const FIXTURE_NOW = Date.parse('2026-11-23T10:16:00.000Z');
const realStart = Date.now();
clock.now = () => new Date(FIXTURE_NOW + (Date.now() - realStart));
