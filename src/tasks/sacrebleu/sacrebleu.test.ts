import assert from "node:assert/strict";
import { test } from "node:test";
import { PythonRandom } from "../../core/python-random.ts";
import { computeBleu, corpusBleu, sentenceBleu } from "./bleu.ts";
import { corpusChrf, sentenceChrf } from "./chrf.ts";
import { corpusTer } from "./ter.ts";

const close = (a: number, b: number, eps: number, what: string) =>
  assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b} (eps ${eps})`);

// Published values: sacrebleu's own test suite (test/test_bleu.py, test_chrf.py, test_ter.py at mjpost/sacrebleu
// f615c72), with the tolerances those tests use.
const REFS = [
  ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
  ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
];
const HYPS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];

test("BLEU: sacrebleu's published test values", () => {
  close(corpusBleu(HYPS, REFS).score, 48.530827, 1e-8, "default");
  close(corpusBleu(["", "", ""], REFS).score, 0, 1e-8, "empty hypotheses");
  close(corpusBleu(HYPS, REFS, { tokenize: "none" }).score, 49.1919566, 1e-8, "tokenize none");
  close(corpusBleu(HYPS, REFS, { tokenize: "intl" }).score, 43.91623493, 1e-8, "tokenize intl");
  close(corpusBleu(HYPS, REFS, { smoothMethod: "none" }).score, 48.530827, 1e-8, "smooth none");
  const raw = (h: string[], r: string[][], v: number | null) =>
    corpusBleu(h, r, { smoothMethod: "floor", smoothValue: v, tokenize: "none", effectiveOrder: true }).score / 100;
  close(raw(["this is a test", "another test"], [["ref1", "ref2"]], 0.01), 0, 1e-8, "raw 1");
  close(raw(["this is a test"], [["this is a test"]], 0.01), 1, 1e-8, "raw 2");
  close(raw(["this is a fest"], [["this is a test"]], 0.01), 0.223606797749979, 1e-8, "raw 3");
  close(raw(["test"], [["a test"]], 0.01), 0.3678794411714425, 1e-8, "effective order 1");
  close(raw(["a little test"], [["a test"]], 0.01), 0.03218297948685433, 1e-8, "effective order 3");
  close(
    raw(["am I am a character sequence"], [["I am a symbol string sequence a a"]], null),
    0.1555722182,
    1e-8,
    "offset",
  );
  close(raw(["am I am a character sequence"], [["I am a symbol string sequence a a"]], 0), 0, 1e-8, "no offset");
  const st = corpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]], {
    smoothMethod: "floor",
    smoothValue: 0.01,
    tokenize: "none",
  });
  assert.deepEqual(
    [st.counts, st.totals],
    [
      [4, 2, 1, 0],
      [6, 5, 4, 3],
    ],
  );
  close(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100, 0.8375922397, 1e-8, "compute_bleu");
  assert.equal(computeBleu([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, "floor", 0.0).score, 0);
  const orders = ["77.65", "60.50", "53.93", "48.53", "46.14", "43.28"];
  orders.forEach((exp, i) => {
    assert.equal(corpusBleu(HYPS, REFS, { maxNgramOrder: i + 1 }).score.toFixed(2), exp);
  });
  assert.ok(sentenceBleu("The dog bit the man.", ["The dog bit the man."]).score > 99.99);
});

test("chrF: sacrebleu's published test values", () => {
  const cases: Array<[string[], string[], number]> = [
    [["abcdefg"], ["hijklmnop"], 0.0],
    [["a"], ["b"], 0.0],
    [[""], ["b"], 0.0],
    [["aa"], ["ab"], 8.3333],
    [["a", "b"], ["a", "c"], 8.3333],
    [["a"], ["a"], 16.6667],
    [["a b c"], ["a b c"], 50.0],
    [["a b c"], ["abc"], 50.0],
    [
      [
        " risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
      ],
      [
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .",
      ],
      63.36173,
    ],
    [
      [" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "],
      ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."],
      64.1302698,
    ],
  ];
  for (const [h, r, exp] of cases) close(corpusChrf(h, [r], { beta: 3, epsSmoothing: true }), exp, 1e-4, `chrF ${h}`);
  const eff: Array<[string[], string[], number]> = [
    [["a"], ["a"], 100],
    [[""], ["reference"], 0],
    [["a b c"], ["abc"], 100],
    [["a", "b"], ["a", "c"], 50],
    [["aa"], ["ab"], 25],
  ];
  for (const [h, r, exp] of eff) close(corpusChrf(h, [r], { beta: 3 }), exp, 1e-4, `chrF eff ${h}`);
  close(
    corpusChrf(
      ["Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."],
      [["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."]],
      { beta: 3, whitespace: true },
    ),
    67.3481606,
    1e-4,
    "keep whitespace",
  );
  close(
    sentenceChrf(
      "Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
      ["Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře."],
      { epsSmoothing: true },
    ),
    39.14078509,
    1e-4,
    "sentence chrF",
  );
});

test("TER: sacrebleu's published test values", () => {
  const cases: Array<[string[], string[], number]> = [
    [["aaaa bbbb cccc dddd"], ["aaaa bbbb cccc dddd"], 0],
    [["dddd eeee ffff"], ["aaaa bbbb cccc"], 1],
    [[""], ["a"], 1],
    [["a"], [""], 1],
    [[""], [""], 0],
    [["d e f g h a b c"], ["a b c d e f g h"], 1 / 8],
    [
      [
        'wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit das Bild ungefähr dieselbe Größe aufweist wie die andere Größe .',
        'wenn Sie alle Aufgaben im aktuellen Dokument aktualisieren möchten , wählen Sie im Menü des Aufgabenbedienfelds die Option " Alle Aufgaben aktualisieren . "',
        'klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie Werte für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " ein .',
        "Sie können beispielsweise ein Dokument erstellen , das ein Auto über die Bühne enthält .",
        'wählen Sie im Dialogfeld " Neu aus Vorlage " eine Vorlage aus und klicken Sie auf " Neu . "',
      ],
      [
        'wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit die Darstellung des Bildes in einer anderen Größe beibehalten wird .',
        'wenn Sie alle Aufgaben im aktuellen Dokument aktualisieren möchten , wählen Sie im Menü des Aufgabenbedienfelds die Option " Alle Aufgaben aktualisieren . "',
        'klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " niedrigere Werte ein .',
        "Sie können beispielsweise ein Dokument erstellen , das ein Auto enthalt , das sich über die Bühne bewegt .",
        'wählen Sie im Dialogfeld " Neu aus Vorlage " eine Vorlage aus und klicken Sie auf " Neu . "',
      ],
      0.136,
    ],
  ];
  for (const [h, r, exp] of cases) close(corpusTer(h, [r]), 100 * exp, 1e-3, `TER ${h[0]}`);
});

// A seeded corpus with punctuation, numbers, Unicode, newlines and long shuffled sentences, drawn with Python's
// random.Random so that the same corpus can be built in Python. The expected scores were computed by sacrebleu
// 2.5 itself (source at mjpost/sacrebleu f615c72, run with /usr/bin/python3 3.11): corpus_bleu (default, intl with
// smooth_value=0, lowercase with smooth none), corpus_chrf (default, word_order=2), corpus_ter (default,
// normalized+no_punct+case_sensitive).
const WORDS = [
  "the",
  "The",
  "cat",
  "sat",
  "on",
  "mat.",
  "dog,",
  "3.14",
  "1,000",
  "e-mail",
  "naïve",
  "café",
  "—",
  "日本語",
  "&amp;",
  "don't",
  "(hi)",
  '"quoted"',
  "it's",
  "5-4",
  "Hello!",
  "?",
  "a",
  "an",
  "über",
  "x/y",
  "$5",
  "100%",
  "end.",
  "line\nbreak",
  "tab\tbed",
  "ﬁne",
  "ǅ",
  "١٢٣",
  "can't",
  "U.S.",
  "e.g.,",
  "«guillemets»",
];

function sent(r: PythonRandom, lo: number, hi: number): string {
  const n = r.randrange(lo, hi);
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(r.choice(WORDS));
  return w.join(" ");
}

function perturb(r: PythonRandom, s: string): string {
  const out: string[] = [];
  for (const x of s.split(" ")) {
    const p = r.random();
    if (p < 0.1) continue;
    if (p < 0.2) {
      out.push(r.choice(WORDS));
      continue;
    }
    out.push(x);
  }
  for (let k = 0; k < Math.floor(out.length / 8) + 1; k++) {
    if (out.length > 2 && r.random() < 0.5) {
      const i = r.randrange(0, out.length - 1);
      const j = r.randrange(0, out.length);
      const t = out[i] as string;
      out[i] = out[j] as string;
      out[j] = t;
    }
  }
  return out.join(" ");
}

function corpora(seed: number, n: number): Array<[string[], string[][]]> {
  const r = new PythonRandom(seed);
  const out: Array<[string[], string[][]]> = [];
  for (let c = 0; c < n; c++) {
    const nseg = r.randrange(1, 6);
    const nref = r.randrange(1, 3);
    const bases: string[] = [];
    for (let i = 0; i < nseg; i++) bases.push(c % 4 ? sent(r, 0, 12) : sent(r, 20, 70));
    const hyps = bases.map((b) => perturb(r, b));
    const refs: string[][] = [];
    for (let k = 0; k < nref; k++) refs.push(bases.map((b) => perturb(r, b)));
    out.push([hyps, refs]);
  }
  return out;
}

const KEYS = ["bleu", "bleu_intl", "bleu_lc_none", "chrf", "chrfpp", "ter", "ter_norm"] as const;
const EXPECTED: number[][] = [
  [
    48.5861176362424, 52.1398971460434, 48.5861176362424, 65.38690381467738, 65.07750801663694, 52.74725274725275,
    57.407407407407405,
  ],
  [
    55.15861512320292, 60.69675213315561, 55.15861512320292, 67.90778583152871, 67.47232632643625, 42.857142857142854,
    40.74074074074074,
  ],
  [29.38419737689418, 51.68876183581575, 0.0, 41.18111864849471, 43.1187647693837, 60.0, 56.00000000000001],
  [
    57.858322134408276, 57.858322134408276, 57.858322134408276, 64.09173794491943, 65.14752501995828, 42.5531914893617,
    45.28301886792453,
  ],
  [
    34.1116409462876, 35.974573057068966, 34.1116409462876, 47.87875290055308, 49.89734785186557, 51.85185185185185,
    50.73529411764706,
  ],
  [26.15611844567672, 26.15611844567672, 0.0, 33.6352820306709, 41.223568697859506, 50.0, 40.0],
  [12.640504935009755, 24.864036719593678, 0.0, 45.0218111741827, 45.18676929526485, 52.0, 46.875],
  [
    40.95803189494445, 45.76710202833017, 40.95803189494445, 52.56895923126217, 54.18925866164474, 49.122807017543856,
    40.0,
  ],
  [
    36.55478944871683, 39.06314618136398, 36.68047623189471, 52.378963253058316, 54.36833988128077, 51.28205128205128,
    48.79032258064516,
  ],
  [
    35.24025452531097, 35.24025452531097, 35.24025452531097, 58.010426870160515, 57.62659403049084, 54.54545454545454,
    54.54545454545454,
  ],
  [0.0, 0.0, 0.0, 100.0, 100.0, 0.0, 0.0],
  [
    54.8123672792283, 65.20642557238997, 54.8123672792283, 71.11175537017557, 71.16069101238959, 30.434782608695656,
    34.61538461538461,
  ],
  [
    51.637698731913865, 56.923014361362334, 51.57810521229422, 58.522625775936675, 59.73651911722565, 44.07894736842105,
    46.48648648648649,
  ],
  [
    49.184847879995, 52.08674539474873, 49.184847879995, 47.66362380206611, 50.1243520407091, 41.269841269841265,
    35.13513513513514,
  ],
  [
    36.78763249927777, 34.06391586972836, 36.78763249927777, 46.2604454355942, 49.11067121286172, 52.63157894736842,
    58.333333333333336,
  ],
  [
    45.96613576124595, 59.18821883387651, 45.96613576124595, 58.19766941864465, 62.398252063983485, 20.0,
    14.285714285714285,
  ],
  [
    46.08947617971733, 49.40560085885483, 46.24868226752878, 59.64037338506366, 60.891542821261915, 49.681528662420384,
    50.27322404371585,
  ],
  [0.0, 0.0, 0.0, 12.26412609339273, 10.985960569355647, 100.0, 128.57142857142858],
  [82.81625994021552, 85.83637909493899, 82.81625994021552, 69.28484161480738, 69.32800018809834, 24.0, 25.0],
  [
    29.625838109422588, 27.95274285091053, 29.625838109422588, 33.220277378911675, 36.34175888649367, 47.82608695652174,
    46.666666666666664,
  ],
  [
    36.07695263873396, 40.94880945441515, 36.07695263873396, 56.134666293818405, 56.949664273114784, 47.97297297297297,
    50.306748466257666,
  ],
  [0.0, 0.0, 0.0, 100.0, 100.0, 0.0, 0.0],
  [
    71.5277529080118, 72.81415852567406, 71.5277529080118, 76.83671527032024, 78.1216092342613, 18.51851851851852,
    15.625,
  ],
  [36.92701967267334, 52.38375874705952, 0.0, 48.60863373134677, 50.84545054063289, 37.5, 37.5],
  [
    27.68531685051271, 34.291669054386674, 27.71760298915702, 50.17975437452318, 51.28777094679615, 49.760765550239235,
    48.78048780487805,
  ],
  [
    5.522397783539471, 15.851165692617148, 0.0, 23.32320793738029, 26.15071496719506, 66.66666666666666,
    111.11111111111111,
  ],
  [
    75.79376846446101, 73.17179704936699, 75.79376846446101, 73.43926309092842, 74.33898457017882, 26.47058823529412,
    21.73913043478261,
  ],
  [41.48200062796459, 35.88662994378728, 41.48200062796459, 36.50770637492787, 40.58004776012999, 50.0, 50.0],
  [22.629555966907105, 24.102729480541893, 22.629555966907105, 34.968908931861456, 38.3651669540314, 56.25, 50.0],
  [
    29.09129722902959, 27.794868023134757, 29.09129722902959, 30.74474900869929, 35.21824150096271, 57.14285714285714,
    45.0,
  ],
  [
    63.28612248636726, 65.57743372985634, 63.28612248636726, 66.0713400945888, 67.83983078304375, 37.2093023255814,
    39.21568627450981,
  ],
  [
    44.89199008878609, 44.63224986512309, 44.89199008878609, 60.823067958241076, 61.68508661636226, 41.66666666666667,
    38.46153846153847,
  ],
  [
    52.65209546343147, 55.44519512715339, 52.65209546343147, 51.1769640838825, 54.19212735813591, 51.92307692307693,
    48.69565217391305,
  ],
  [0.0, 0.0, 0.0, 0.0, 0.0, 200.0, 200.0],
  [
    35.45246538497809, 32.56925864342745, 35.45246538497809, 52.522910181881485, 53.802474837053715, 62.96296296296296,
    50.0,
  ],
  [
    35.32052025488522, 64.42419132526557, 35.32052025488522, 64.12353098973502, 64.00376316396988, 40.0,
    41.37931034482759,
  ],
  [
    44.465194462377426, 46.890178161861364, 44.465194462377426, 45.0913791600113, 47.943485172572764, 53.18352059925093,
    44.776119402985074,
  ],
  [
    27.022045189727102, 20.840615874957624, 27.022045189727102, 50.69871323045049, 52.90811618615272, 50.0,
    47.82608695652174,
  ],
  [
    47.333263123960684, 50.21483395464541, 47.333263123960684, 70.72643335806688, 70.78936547785572, 34.04255319148936,
    34.04255319148936,
  ],
  [
    53.21827829526676, 56.45818416744257, 53.21827829526676, 60.94238766273183, 62.547154839751094, 44.44444444444444,
    48.148148148148145,
  ],
];

test("BLEU, chrF, chrF++ and TER equal sacrebleu's on a 40-corpus seeded sample", () => {
  const all = corpora(20240601, EXPECTED.length);
  all.forEach(([hyps, refs], i) => {
    const got = [
      corpusBleu(hyps, refs).score,
      corpusBleu(hyps, refs, { tokenize: "intl", smoothValue: 0 }).score,
      corpusBleu(hyps, refs, { lowercase: true, smoothMethod: "none" }).score,
      corpusChrf(hyps, refs),
      corpusChrf(hyps, refs, { wordOrder: 2 }),
      corpusTer(hyps, refs),
      corpusTer(hyps, refs, { normalized: true, noPunct: true, caseSensitive: true }),
    ];
    const exp = EXPECTED[i] as number[];
    // chrF and TER agree bit for bit; BLEU within an ulp or two (V8's Math.exp/log are not glibc's).
    got.forEach((g, k) => {
      close(g, exp[k] as number, 1e-13 * Math.max(1, Math.abs(exp[k] as number)), `corpus ${i} ${KEYS[k]}`);
    });
  });
});
