// Sends an HTML page with the security headers and a fresh CSP nonce.
import type { FastifyReply } from 'fastify';
import type { SafeHtml } from './html.ts';
import { newNonce, page, pageHeaders } from './html.ts';

export function sendPage(reply: FastifyReply, status: number, title: string, body: SafeHtml): FastifyReply {
  const nonce = newNonce();
  return reply.code(status).headers(pageHeaders(nonce)).send(page({ title, body, nonce }));
}
