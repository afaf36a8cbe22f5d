/** What every surface handler is given besides the request. */
export interface SurfaceInput {
  request: Request;
  /** The request's path, without a trailing slash. */
  path: string;
  requestId: string;
  metadata?: Record<string, string> | undefined;
  onAbort?: 'error' | 'close' | undefined;
}
