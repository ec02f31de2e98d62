// What a provider's id or slug may be: it becomes a key of the store and of every API answer that names
// the run, so it is bounded. Real ids are UUIDs or short slugs; a key far longer is hostile or broken,
// and its item is refused (DESIGN.md "Refused run") rather than stored.
import { z } from 'zod';

export const MAX_ID_LENGTH = 256;

export const identifier = z.string().min(1).max(MAX_ID_LENGTH);
