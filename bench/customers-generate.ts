import type { Db, Queryable } from '../src/db/adapter.js';

/**
 * Generates `count` customers with 1–3 phones each, inside the database:
 * INSERT … SELECT over generate_series (no row crosses the driver), with the
 * secondary indexes dropped during the load and rebuilt after it (a bulk index
 * build is several times faster than maintaining a GIN trigram index row by row).
 *
 * Names: a skewed pick from common first and last names plus syllable-built
 * surnames (tens of thousands of distinct ones), so "Smith" is common and most
 * full names are rare, as in a real customer base. Phones: US numbers in mixed
 * typed formats ("(415) 555-0123", "+1 415-555-0123", "415.555.0123",
 * "14155550123") with their E.164 and digits, ~1% unparseable ones.
 */

const FIRST =
  `James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph
Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald Ashley
Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy
Stephanie Ronald Dorothy Jason Rebecca Edward Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen Nicholas Angela
Eric Shirley Jonathan Brenda Stephen Emma Larry Anna Justin Pamela Scott Nicole Brandon Samantha Benjamin Katherine Samuel
Christine Gregory Helen Alexander Debra Patrick Rachel Frank Carolyn Raymond Janet Jack Maria Dennis Catherine Jerry Heather
Tyler Diane Aaron Olivia Jose Julie Adam Joyce Nathan Victoria Henry Ruth Zachary Virginia Douglas Lauren Peter Kelly Kyle
Christina Noah Joan Ethan Evelyn Jeremy Judith Walter Andrea Christian Hannah Keith Megan Roger Cheryl Terry Jacqueline
Austin Martha Sean Madison Gerald Teresa Carl Gloria Harold Sara Dylan Janice Arthur Ann Lawrence Kathryn Jordan Abigail
Jesse Sophia Bryan Frances Billy Jean Bruce Alice Gabriel Judy Joe Isabella Logan Julia Alan Grace Juan Amber Albert Denise
Willie Danielle Elijah Marilyn Wayne Beverly Randy Charlotte Vincent Natalie Mason Theresa Roy Diana Ralph Brittany Bobby
Doris Russell Kayla Bradley Alexis Philip Lori Eugene Marie Ahmed Fatima Wei Mei Hiroshi Yuki Olga Ivan Priya Arjun Lars
Ingrid Pierre Amelie Giulia Marco Sofia Mateo Lucia Chen Aisha Omar Kwame Ama Siobhan Niamh Sven Astrid Dmitri Anya`.split(
    /\s+/,
  );

const LAST =
  `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson
Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen
King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez
Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz
Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray
Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell
Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford
Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman
Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner
Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto
Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight
Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston
Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval Guerrero George Chapman Rios Estrada Ortega Watkins
Greene Nunez Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison Franklin Carlson Austin Dominguez Carr Lawson
Jacobs OBrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey Williamson Gilbert Dean Sims Espinoza Howell Li Wong
Reid Hanson Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas Lucas Marquez Fields Park Yang Little Banks Padilla Day
Walsh Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland Juarez Newman Pearson Curtis Cortez Douglas
Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell
Beck Lambert Miranda Byrd Craig Ayala Lowe Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton
Schwartz Norris Jennings Watts Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt Deleon Barker Terry Hale
Leon Hail Benson Haynes Horton Miles Lyons Pham Graves Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson
Lara Fletcher Page McCarthy Love Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon
Velasquez Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis Robbins Liu Ramsey Francis Griffith
Paul Blair OConnor Cardenas Pacheco Cross Calderon Quinn Moss Swanson Chan Rivas Khan Rodgers Serrano Fitzgerald Rosales
Stevenson Christensen Manning Gill Curry McLaughlin Harmon McGee Gross Doyle Garner Newton Burgess Reese Walton Blake
Trujillo Adkins Brady Goodman Roman Webster Goodwin Fischer Huang Potter Delacruz Montoya Todd Wu Hines Mullins Castaneda
Malone Cannon Tate Mack Sherman Hubbard Hodges Zhang Guerra Wolf Valencia Saunders Franco Rowe Gallagher Farmer Hammond
Hampton Townsend Ingram Wise Gallegos Clarke Barton Schroeder Maxwell Waters Logan Camacho Strickland Norman Person Colon
Parsons Frank Harrington Glover Osborne Buchanan Casey Floyd Patton Ibarra Ball Tyler Suarez Bowers Orozco Salas Cobb
Gibbs Andrade Bauer Conner Moody Escobar McGuire Lloyd Mueller Hartman French Kramer McBride Pope Lindsey Velazquez
Norton McCormick Sparks Flynn Yates Hogan Marsh Macias Villanueva Zamora Pratt Stokes Owen Ballard Lang Brock Villarreal
Charles Drake Barrera Cain Patrick Pineda Burnett Mercado Santana Shepherd Bautista Ali Shaffer Lamb Trevino McKenzie Hess
Beil Olsen Cochran Morton Nash Wilkins Petersen Briggs Shah Roth Nicholson Holloway Lozano Rangel Flowers Hoover Short
Arias Mora Valenzuela Bryan Meyers Weiss Underwood Bass Greer Summers Houston Carson Morrow Clayton Whitaker Decker Yoder
Collier Zuniga Carey Wilcox Melendez Poole Roberson Larsen Conley Davenport Copeland Massey Lam Huff Rocha Cameron Jefferson`.split(
    /\s+/,
  );

const S1 =
  'al an ar bel ber bran cal car cor dal dan del dor el fal fen gar gor hal har kel kor lan lar mal mar mor nor pel per ral ren sal sel tal tor val ver wil win'.split(
    ' ',
  );
const S2 = 'a e i o u ae ia io ou ei'.split(' ');
const S3 =
  'berg bury by dale den field ford gate ham holm land ley lin low man mere more ner ridge ring sen son stead stein ton vik wood worth'.split(
    ' ',
  );
const COMPANY_A =
  'Acme Globex Initech Umbrella Stark Wayne Wonka Hooli Vandelay Soylent Cyberdyne Tyrell Massive Dynamic Oceanic Blue Red Green Northern Southern Pacific Atlantic Summit Pioneer Apex Vertex Horizon Liberty Union Royal'.split(
    ' ',
  );
const COMPANY_B =
  'Logistics Industries Holdings Systems Foods Motors Labs Media Partners Consulting Energy Health Insurance Bank Travel Retail Software Networks Supplies Builders'.split(
    ' ',
  );
const CITIES =
  'Springfield Riverside Franklin Greenville Bristol Clinton Fairview Salem Madison Georgetown Arlington Ashland Burlington Manchester Oxford Dover Milton Newport Chester Jackson'.split(
    ' ',
  );
/** Real US area codes (libphonenumber validates them). */
const AREAS =
  '201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 224 225 228 229 231 234 239 240 248 251 252 253 254 256 260 262 267 269 270 281 301 302 303 304 305 307 308 309 310 312 313 314 315 316 317 318 319 320 321 323 325 330 334 336 337 339 347 351 352 360 361 385 386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 425 430 432 434 435 440 443 469 478 479 480 484 501 502 503 504 505 507 508 509 510 512 513 515 516 517 518 520 530 540 541 551 559 561 562 563 567 570 571 573 574 575 580 585 586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619 620 623 626 630 631 636 641 646 650 651 660 661 662 678 682 701 702 703 704 706 707 708 712 713 714 715 716 717 718 719 720 724 727 731 732 734 740 754 757 760 762 763 765 770 772 773 774 775 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815 816 817 818 828 830 831 832 843 845 847 848 850 856 857 858 859 860 862 863 864 865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917 918 919 920 925 928 931 936 937 940 941 947 949 951 952 954 956 970 971 972 973 978 979 980 985 989'.split(
    ' ',
  );

const arr = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]::text[]`;
/** A skewed pick (early entries more often): index 1..n from r in [0,1). */
const skewed = (r: string, n: number) => `1 + floor(${n} * power(${r}, 1.6))::int`;
const uniform = (r: string, n: number) => `1 + floor(${n} * ${r})::int`;

export interface GenerateResult {
  customers: number;
  phones: number;
  seconds: { customers: number; phones: number; indexes: number; analyze: number; total: number };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

export async function generateCustomers(db: Db, count: number, log: (s: string) => void): Promise<GenerateResult> {
  const t0 = performance.now();
  const timings = await load(db, count, log);
  const [, tAnalyze] = await timed(() =>
    db.exec(db.engine === 'postgres' ? 'VACUUM ANALYZE customers, customer_phones, customer_terms' : 'ANALYZE'),
  );
  const [{ c }] = await db.query<{ c: number }>('SELECT count(*) AS c FROM customers');
  const [{ p }] = await db.query<{ p: number }>('SELECT count(*) AS p FROM customer_phones');
  return {
    customers: c,
    phones: p,
    seconds: { ...timings, analyze: tAnalyze, total: (performance.now() - t0) / 1000 },
  };
}

/**
 * Runs `steps` on `workers` connections at once (each step in its own
 * transaction, with the load's settings), taking the next step as one ends.
 */
async function inParallel(db: Db, workers: number, steps: ((tx: Queryable) => Promise<void>)[]): Promise<void> {
  const queue = [...steps];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let step = queue.shift(); step; step = queue.shift()) {
        const run = step;
        await db.transaction(async (tx) => {
          await tx.exec(`SET LOCAL maintenance_work_mem = '512MB'`);
          await run(tx);
        });
      }
    }),
  );
}

async function load(db: Db, count: number, log: (s: string) => void) {
  // PostgreSQL: the inserts and the index builds run on two connections at once (the load is CPU-bound,
  // one core per statement). PGlite has one connection.
  const workers = db.engine === 'postgres' ? 2 : 1;
  // Keys and indexes are dropped for the load and rebuilt after it: one sort per index
  // instead of a random btree insert (and a foreign-key lookup) per row.
  const constraints = await db.query<{ table: string; name: string; def: string; type: string }>(
    `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def, contype AS type
     FROM pg_constraint WHERE contype IN ('p', 'f')
       AND (conrelid IN ('customers'::regclass, 'customer_phones'::regclass)
            OR confrelid IN ('customers'::regclass, 'customer_phones'::regclass))
     ORDER BY contype`,
  );
  const indexes = await db.query<{ indexname: string; indexdef: string }>(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
     WHERE i.tablename IN ('customers', 'customer_phones') AND i.schemaname = current_schema()
       AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype = 'p')`,
  );
  // Foreign keys first ('f' sorts before 'p'), then primary keys.
  for (const c of constraints) await db.exec(`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.name}`);
  for (const ix of indexes) await db.exec(`DROP INDEX ${ix.indexname}`);

  const first = arr(FIRST);
  const last = arr(LAST);
  const ranges = Array.from({ length: workers }, (_, w) => [
    Math.floor((count * w) / workers) + 1,
    Math.floor((count * (w + 1)) / workers),
  ]);
  /** Runs `sql(a, b)` for each worker's range of customer numbers a…b, one connection each; the seconds it took. */
  const perRange = async (sql: (a: number, b: number) => string) =>
    (
      await timed(() =>
        inParallel(
          db,
          workers,
          ranges.map(
            ([a, b]) =>
              (tx: Queryable) =>
                tx.exec(sql(a, b)),
          ),
        ),
      )
    )[1];
  const tCustomers = await perRange(
    (a, b) => `
      INSERT INTO customers (account_number, first_name, last_name, company, email, vip, draft,
                             primary_address, created_at, updated_at, name_terms)
      SELECT (100000 + g)::text, f, l, comp,
             CASE WHEN r6 < 0.9 THEN lower(f || '.' || l || '.' || g || '@example.com') END,
             r7 < 0.02, r7 > 0.99,
             jsonb_build_object('street', (1 + floor(r8 * 999))::int || ' Main St',
               'city', (${arr(CITIES)})[${uniform('r9', CITIES.length)}],
               'region', NULL, 'postalCode', lpad(floor(r10 * 99999)::int::text, 5, '0'), 'country', 'US'),
             ts, ts,
             -- As terms.ts nameTerms() splits them (the generated names are ASCII).
             ARRAY(SELECT DISTINCT w FROM unnest(regexp_split_to_array(
                     lower(f || ' ' || l || ' ' || coalesce(comp, '')), '[^a-z0-9]+')) w
                   WHERE w <> '' ORDER BY w)
      FROM (
        SELECT g, r6, r7, r8, r9, r10, ts,
               CASE WHEN r3 < 0.35 THEN (${arr(COMPANY_A)})[${uniform('r4', COMPANY_A.length)}] || ' ' ||
                                        (${arr(COMPANY_B)})[${uniform('r5', COMPANY_B.length)}] END AS comp,
               (${first})[${skewed('r1', FIRST.length)}] AS f,
               CASE WHEN r2 < 0.55 THEN (${last})[${skewed('r2b', LAST.length)}]
                    ELSE initcap((${arr(S1)})[${uniform('r11', S1.length)}] || (${arr(S2)})[${uniform('r12', S2.length)}]
                                 || (${arr(S3)})[${uniform('r2b', S3.length)}]) END AS l
        FROM (
          SELECT g, random() r1, random() r2, random() r2b, random() r3, random() r4, random() r5, random() r6,
                 random() r7, random() r8, random() r9, random() r10, random() r11, random() r12,
                 now() - random() * interval '5 years' AS ts
          FROM generate_series(${a}, ${b}) g
        ) r
      ) s`,
  );
  log(`  customers inserted in ${tCustomers.toFixed(1)} s`);
  // The search dictionary, as terms.ts dictionaryRows() builds it: each word, and from 4 letters on
  // each word with one letter left out.
  await db.exec(`
    INSERT INTO customer_terms (variant, term)
    SELECT DISTINCT v, t FROM (SELECT DISTINCT unnest(name_terms) AS t FROM customers) w
    CROSS JOIN LATERAL (
      SELECT t AS v
      UNION ALL
      SELECT left(t, i - 1) || substr(t, i + 1) FROM generate_series(1, length(t)) i WHERE length(t) >= 4
    ) x
    ON CONFLICT DO NOTHING`);
  await db.exec(`SELECT setval('customer_account_seq', 100000 + ${count} + 1)`);

  const tPhones = await perRange(
    (a, b) => `
      INSERT INTO customer_phones (customer_id, position, type, raw, e164, extension, digits, valid)
      SELECT id, pos, (ARRAY['mobile','work','home','voice'])[1 + pos],
             CASE WHEN bad THEN '555-' || l
                  WHEN fmt = 0 THEN '(' || a || ') ' || x || '-' || l
                  WHEN fmt = 1 THEN '+1 ' || a || '-' || x || '-' || l
                  WHEN fmt = 2 THEN a || '.' || x || '.' || l
                  ELSE '1' || a || x || l END,
             CASE WHEN bad THEN NULL ELSE '+1' || a || x || l END,
             NULL,
             CASE WHEN bad THEN '555' || l ELSE '1' || a || x || l END,
             NOT bad
      FROM (
        SELECT c.id, k - 1 AS pos,
               (${arr(AREAS)})[${uniform('random()', AREAS.length)}] AS a,
               (200 + floor(random() * 800)::int) AS xn,
               lpad(floor(random() * 10000)::int::text, 4, '0') AS l,
               floor(random() * 4)::int AS fmt,
               random() < 0.01 AS bad
        FROM customers c CROSS JOIN LATERAL generate_series(1, 1 + abs(hashtext(c.id::text)) % 3) k
        WHERE CASE WHEN c.account_number ~ '^[0-9]{1,9}$' THEN c.account_number::int END
              BETWEEN 100000 + ${a} AND 100000 + ${b}
      ) s
      -- "N11" exchanges (211, 911, …) are service codes, not numbers.
      CROSS JOIN LATERAL (SELECT (CASE WHEN xn % 100 = 11 THEN xn + 1 ELSE xn END)::text AS x) xx`,
  );
  log(`  phones inserted in ${tPhones.toFixed(1)} s`);

  const [, tIndexes] = await timed(async () => {
    // Primary keys, then indexes, then foreign keys (which need the keys they point to).
    const step = (name: string, sql: string) => async (tx: Queryable) => {
      const [, s] = await timed(() => tx.exec(sql));
      log(`  ${name}: ${s.toFixed(1)} s`);
    };
    const keys = (type: string) =>
      constraints
        .filter((c) => c.type === type)
        .map((c) => step(c.name, `ALTER TABLE ${c.table} ADD CONSTRAINT ${c.name} ${c.def}`));
    await inParallel(db, workers, keys('p'));
    await inParallel(
      db,
      workers,
      indexes.map((ix) => step(ix.indexname, ix.indexdef)),
    );
    await inParallel(db, 1, keys('f'));
  });
  return { customers: tCustomers, phones: tPhones, indexes: tIndexes };
}
