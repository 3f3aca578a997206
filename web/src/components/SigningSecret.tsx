/**
 * A signing secret just created (a webhook endpoint's, a CRM connector's): shown once,
 * to be copied now; the server never returns it again.
 */
export function SigningSecret(props: { of: string; secret: string; testId: string; onDone: () => void }) {
  return (
    <div className="note" role="status">
      <p>Signing secret of {props.of}: copy it now, it is shown only once.</p>
      <code className="secret" data-testid={props.testId}>
        {props.secret}
      </code>{' '}
      <button type="button" onClick={() => void navigator.clipboard?.writeText(props.secret)}>
        Copy
      </button>{' '}
      <button type="button" onClick={props.onDone}>
        Done
      </button>
    </div>
  );
}
