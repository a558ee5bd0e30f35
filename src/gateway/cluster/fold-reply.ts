import type { ContentPart } from '../../common/protocol.ts';

/**
 * A reply's content rebuilt from its turn's events, as the router would store it now: text of
 * a round joined, tool calls and results, images. Used for snapshots of a reply streaming on
 * another gateway, whose stored text is only its last checkpoint.
 */
export function foldReply(frames: readonly string[]): ContentPart[] {
  const parts: ContentPart[] = [];
  let text = '';
  const closeText = () => {
    if (text !== '') parts.push({ type: 'text', text });
    text = '';
  };
  for (const frame of frames) {
    const event = JSON.parse(frame) as Record<string, unknown>;
    switch (event.type) {
      case 'text.delta':
        text += String(event.text);
        break;
      case 'tool.call':
        closeText();
        parts.push({
          type: 'tool_call',
          id: String(event.callId),
          name: String(event.name),
          arguments:
            typeof event.arguments === 'string' ? event.arguments : JSON.stringify(event.arguments),
        });
        break;
      case 'tool.result':
        closeText();
        parts.push({
          type: 'tool_result',
          callId: String(event.callId),
          name: String(event.name),
          content: String(event.content),
          isError: event.isError === true,
        });
        break;
      case 'image.done':
        closeText();
        parts.push({ type: 'image', url: String(event.url), mediaType: String(event.mediaType) });
        break;
      default:
        break;
    }
  }
  closeText();
  return parts;
}
