import type { ProfilePoint } from './mesh-builder.ts';

/** Lathe profiles (radius, height) for round shapes, listed bottom to top. */

/** A sphere-like profile of radius `radius` centred at height `centre`, `rings` latitude steps. */
export function sphereProfile(radius: number, centre = 0, rings = 12): ProfilePoint[] {
  return arcProfile(radius, radius, centre, -Math.PI / 2, Math.PI / 2, rings);
}

/**
 * A capsule: a cylinder of radius `radius` and straight length `length` with end caps of height
 * `capHeight` (= radius for hemispheres, smaller for flattened ends). Bottom pole at y = 0.
 */
export function capsuleProfile(radius: number, length: number, capHeight: number, capRings = 6): ProfilePoint[] {
  const bottom = arcProfile(radius, capHeight, capHeight, -Math.PI / 2, 0, capRings);
  const top = arcProfile(radius, capHeight, capHeight + length, 0, Math.PI / 2, capRings);
  return [...bottom, ...top];
}

/** Points on an elliptic arc (horizontal semi-axis `radius`, vertical `height`) between two latitudes. */
function arcProfile(radius: number, height: number, centre: number, from: number, to: number, steps: number): ProfilePoint[] {
  return Array.from({ length: steps + 1 }, (_, i) => {
    const angle = from + ((to - from) * i) / steps;
    // Exact zeros at the poles so the lathe makes a single pole vertex there.
    const atPole = Math.abs(Math.abs(angle) - Math.PI / 2) < 1e-12;
    return [atPole ? 0 : radius * Math.cos(angle), centre + height * Math.sin(angle)] as const;
  });
}
