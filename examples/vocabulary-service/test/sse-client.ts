// Reads a text/event-stream response event by event, as it arrives (no buffering of the whole body).

export interface SseEvent {
  event: string;
  data: unknown;
}

export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  if (!res.body) throw new Error('response has no body');
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = res.body.getReader();
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      buffered += decoder.decode(read.value, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end !== -1) {
        yield parseFrame(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\n\n');
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (buffered.trim() !== '') throw new Error(`stream ended inside an event: ${JSON.stringify(buffered)}`);
}

function parseFrame(frame: string): SseEvent {
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { event, data: JSON.parse(data.join('\n')) };
}
