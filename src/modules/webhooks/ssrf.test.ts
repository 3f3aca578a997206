import { describe, expect, it } from 'vitest';
import { PinnedAgents } from './send.js';
import { cachingResolver, isPublicAddress, resolveTarget, TargetRefused, type Resolver } from './ssrf.js';

/** A resolver playing DNS: names the tests choose, answering the addresses they choose. */
const fakeDns: Resolver = async (host) => {
  const table: Record<string, string[]> = {
    'internal.example': ['10.0.0.5'],
    'mixed.example': ['93.184.215.14', '192.168.1.10'],
    'public.example': ['93.184.215.14'],
    'v6private.example': ['fd00::1'],
  };
  const list = table[host];
  if (!list) throw new Error('ENOTFOUND');
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const none = new Set<string>();

describe('SSRF guard', () => {
  const refused = [
    'http://127.0.0.1:8080/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0x7f.1/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]/',
    'http://[fe80::1]/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://192.168.0.1/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://internal.example/',
    'http://mixed.example/',
    'http://v6private.example/',
    'http://[fd00:ec2::254]/',
    'http://nosuch.example/',
    'file:///etc/passwd',
    'gopher://example.com/',
  ];
  it.each(refused)('refuses %s', async (url) => {
    await expect(resolveTarget(new URL(url), none, fakeDns)).rejects.toBeInstanceOf(TargetRefused);
  });

  it('refuses a name resolving to loopback through the system resolver (localhost)', async () => {
    await expect(resolveTarget(new URL('http://localhost:9/'), none)).rejects.toBeInstanceOf(TargetRefused);
  });

  it('lets public addresses through, pinned to the address checked', async () => {
    expect(await resolveTarget(new URL('https://public.example/hook'), none, fakeDns)).toEqual({
      address: '93.184.215.14',
      family: 4,
    });
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('2606:4700:4700::1111')).toBe(true);
  });

  it('the allow-list names hosts or addresses (in any notation)', async () => {
    const allow = new Set(['127.0.0.1', 'internal.example']);
    expect((await resolveTarget(new URL('http://127.0.0.1:8080/'), allow, fakeDns)).address).toBe('127.0.0.1');
    expect((await resolveTarget(new URL('http://0x7f.1/'), allow, fakeDns)).address).toBe('127.0.0.1');
    expect((await resolveTarget(new URL('http://internal.example/'), allow, fakeDns)).address).toBe('10.0.0.5');
    await expect(resolveTarget(new URL('http://169.254.169.254/'), allow, fakeDns)).rejects.toBeInstanceOf(
      TargetRefused,
    );
  });

  it('a host is resolved again after the TTL, and the new answer is checked (a rebinding to a private address is refused)', async () => {
    let now = 0;
    let answer = '93.184.215.14';
    let lookups = 0;
    const dns: Resolver = async () => {
      lookups++;
      if (answer === 'fail') throw new Error('SERVFAIL');
      return [{ address: answer, family: 4 }];
    };
    const cached = cachingResolver(dns, 5000, () => now);
    const url = new URL('https://rebind.example/hook');
    expect((await resolveTarget(url, none, cached)).address).toBe('93.184.215.14');
    answer = '10.0.0.5';
    now = 4999;
    expect((await resolveTarget(url, none, cached)).address).toBe('93.184.215.14'); // within the TTL
    expect(lookups).toBe(1);
    now = 5000;
    await expect(resolveTarget(url, none, cached)).rejects.toBeInstanceOf(TargetRefused);
    expect(lookups).toBe(2);
    answer = 'fail';
    now = 10_000;
    await expect(resolveTarget(url, none, cached)).rejects.toBeInstanceOf(TargetRefused);
    answer = '93.184.215.15';
    expect((await resolveTarget(url, none, cached)).address).toBe('93.184.215.15'); // a failure is not kept
  });

  it('a keep-alive pool per endpoint host and checked address: a connection never serves another', () => {
    const agents = new PinnedAgents(4);
    try {
      const a = { address: '93.184.215.14', family: 4 };
      const b = { address: '93.184.215.15', family: 4 };
      const url = new URL('https://hooks.example/a');
      expect(agents.agentFor(url, a)).toBe(agents.agentFor(new URL('https://hooks.example/b'), a));
      expect(agents.agentFor(url, b)).not.toBe(agents.agentFor(url, a));
      expect(agents.agentFor(new URL('https://other.example/a'), a)).not.toBe(agents.agentFor(url, a));
      expect(agents.agentFor(new URL('https://hooks.example:8443/a'), a)).not.toBe(agents.agentFor(url, a));
      expect(agents.agentFor(new URL('http://hooks.example/a'), a)).not.toBe(agents.agentFor(url, a));
    } finally {
      agents.close();
    }
  });
});
