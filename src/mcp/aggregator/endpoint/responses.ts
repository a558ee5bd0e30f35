/** Small web-standard `Response` helpers shared by the endpoint's legs. */

/** A JSON-RPC error body with no request id, as Streamable HTTP answers transport failures. */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): Response {
  return Response.json(
    { jsonrpc: '2.0', id: null, error: { code, message } },
    { status, ...(headers ? { headers } : {}) },
  );
}

/** A response whose body's end is observed, and a way to end it from the server's side. */
export interface TrackedResponse {
  response: Response;
  /** Ends the body now (the client sees the stream close); `done` runs if it had not. */
  end: () => void;
}

/**
 * The same response, calling `done` once when its body has been read to the end, failed, or
 * was abandoned by the reader (the client went away). A response without a body is done now.
 */
export function trackBody(response: Response, done: () => void): TrackedResponse {
  const source = response.body;
  if (source === null) {
    done();
    return { response, end: () => undefined };
  }
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done();
  };
  const reader: ReadableStreamDefaultReader<Uint8Array> = source.getReader();
  let sink: ReadableStreamDefaultController<Uint8Array> | undefined;
  const close = (): void => {
    try {
      sink?.close();
    } catch {
      // Already closed or errored.
    }
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      sink = controller;
    },
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done || finished) {
          finish();
          close();
        } else {
          controller.enqueue(chunk.value);
        }
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason);
    },
  });
  const end = (): void => {
    if (finished) return;
    finish();
    close();
    reader.cancel().catch(() => undefined);
  };
  const tracked = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  return { response: tracked, end };
}
