/** What reading the pool's on-device structures fails with. */
import { OspreyError } from '../../ground/errors.js';

/**
 * Bytes that are not the structure they should be: a checksum that does not verify, a magic number
 * that is not there, a field out of range. Never returned as data: the caller tries another copy.
 */
export class FormatError extends OspreyError {
  readonly code = 'zfs-format';
  constructor(
    readonly structure: 'block pointer' | 'uberblock' | 'label config' | 'dnode' | 'indirect block' | 'object set' | 'scan record' | 'directory',
    readonly problem: string,
  ) {
    super(`${structure}: ${problem}`);
  }
}
