import { aggregateVotes } from "../arena/aggregate.ts";
import { type RankReport, rankCounts } from "../arena/rank.ts";
import { requireStandings, type Viewer } from "../core/access.ts";
import { ModelmapError } from "../core/errors.ts";
import { collect } from "../core/iter.ts";
import type { Winner } from "../core/votes.ts";
import type { AnswerRecord, StoredPromptItem } from "../store/judging.ts";
import type {
  AssignmentRecord,
  CampaignItem,
  CampaignRecord,
  LabelChoice,
  LabelerRecord,
  ProposedAssignment,
  RevealMode,
} from "../store/labeling.ts";
import type { Store } from "../store/store.ts";
import { type CampaignState, counter, countVote, loadCampaignState, pickAssignment } from "./campaign-state.ts";
import { hashToken, token } from "./tokens.ts";

/**
 * Blind pairwise labeling. The service holds small in-memory caches (campaigns, items, per-pair counts)
 * so that the vote path costs two indexed writes; the database stays the source of truth and a restart
 * rebuilds the caches from it.
 */

export interface GoldSpec {
  promptId: string;
  modelA: string;
  modelB: string;
  winner: Winner;
}

export interface CampaignSpec {
  name: string;
  setName: string;
  models: string[];
  perLabeler?: number;
  reveal?: RevealMode;
  goldRate?: number;
  seed?: number;
  gold?: GoldSpec[];
}

export interface AssignmentView {
  assignmentId: string;
  turns: string[];
  left: string[];
  right: string[];
  index: number;
  of: number;
}

export interface VoteResult {
  status: "recorded" | "duplicate";
  reveal?: { left: string; right: string };
}

/** `#vote`'s answer: the vote's, with the store's picture of the labeler and the stored proposal when asked. */
interface VoteOutcome {
  vote: VoteResult;
  mine?: AssignmentRecord[];
  next?: AssignmentRecord & { seq: number };
}

export class LabelingService {
  readonly #store: Store;
  /** Campaign states by id; a state being built is shared by the callers that wait for it. */
  readonly #states = new Map<string, Promise<CampaignState>>();
  readonly #answers = new Map<string, AnswerRecord>();
  readonly #sessions = new Map<string, LabelerRecord>();
  /**
   * Per campaign and labeler, their assignments as this process last knew them: a hint that lets `next` propose
   * the labeler's next assignment without reading them first (the store's `createNextAssignment` refuses a
   * proposal made from a stale picture) and `vote` find its assignment without a read.
   */
  readonly #mine = new Map<string, AssignmentRecord[]>();

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * Runs a write path (the HTTP ones: sign-up, next, vote) so that it resolves only after its writes commit.
   * Their writes are each one statement, atomic by itself, and correct without a transaction around the call
   * (the store decides each one on the database's state), so this is `Store.eachCommit`: SQLite's group commit,
   * and on PostgreSQL no BEGIN/COMMIT round trips.
   */
  committed<T>(write: () => Promise<T> | T): Promise<T> {
    return this.#store.eachCommit(write);
  }

  campaigns(): Promise<CampaignRecord[]> {
    return this.#store.labeling.campaigns();
  }

  /** Every campaign with its progress (the admin view). */
  async campaignsWithProgress(): Promise<
    Array<CampaignRecord & { progress: Awaited<ReturnType<Store["labeling"]["progress"]>> }>
  > {
    const out = [];
    for (const c of await this.#store.labeling.campaigns())
      out.push({ ...c, progress: await this.#store.labeling.progress(c.id) });
    return out;
  }

  /**
   * A campaign's standings as this viewer may see them (`core/access.ts`: a `reveal: never` campaign's are the
   * admin's): its vote count and, once it has votes, the ratings.
   */
  async standings(
    campaignId: string,
    viewer: Viewer,
    opts: { bootstrap?: number; seed?: number } = {},
  ): Promise<{ campaign: CampaignRecord; votes: number; report: RankReport | undefined }> {
    const campaign = (await this.#state(campaignId)).campaign;
    requireStandings(viewer, campaign);
    const votes = await collect(this.#store.votes.iterate({ sources: [`label:${campaignId}`] }));
    if (votes.length === 0) return { campaign, votes: 0, report: undefined };
    const report = rankCounts(aggregateVotes(votes), { bootstrap: opts.bootstrap ?? 200, seed: opts.seed ?? 0 });
    return { campaign, votes: votes.length, report };
  }

  /** A prompt set's items, secret ones included: for admins only. */
  setPrompts(setName: string): Promise<StoredPromptItem[]> {
    return this.#store.judging.promptItems(setName);
  }

  async createCampaign(spec: CampaignSpec): Promise<CampaignRecord> {
    const set = await this.#store.judging.getPromptSet(spec.setName);
    if (!set) throw new ModelmapError("not_found", `no stored prompt set '${spec.setName}'`);
    if (set.secret) {
      throw new ModelmapError(
        "conflict",
        `prompt set '${spec.setName}' is secret: its prompts are never shown to labelers`,
        {
          hint: "label a public set; secret sets are judged by LLM judges and report only aggregates",
        },
      );
    }
    if (spec.models.length < 2) throw new ModelmapError("usage", "a campaign needs at least two models");
    const answers = new Map<string, AnswerRecord>();
    for (const a of await this.#store.judging.latestAnswers(spec.setName, spec.models))
      answers.set(`${a.promptId}\u0000${a.model}`, a);
    const items: Array<Omit<CampaignItem, "id" | "campaignId">> = [];
    const index = new Map<string, number>();
    for (const p of await this.#store.judging.promptItems(spec.setName)) {
      for (let i = 0; i < spec.models.length; i++) {
        for (let j = i + 1; j < spec.models.length; j++) {
          const ma = spec.models[i] as string;
          const mb = spec.models[j] as string;
          const a = answers.get(`${p.id}\u0000${ma}`);
          const b = answers.get(`${p.id}\u0000${mb}`);
          if (!a || !b) continue;
          index.set(`${p.id}\u0000${ma}\u0000${mb}`, items.length);
          items.push({ promptId: p.id, modelA: ma, modelB: mb, answerA: a.key, answerB: b.key, goldWinner: null });
        }
      }
    }
    if (items.length === 0) {
      throw new ModelmapError("not_found", `no prompt of '${spec.setName}' has answers from two of the models`, {
        hint: "run 'modelmap generate' for these models first",
      });
    }
    for (const g of spec.gold ?? []) {
      const direct = index.get(`${g.promptId}\u0000${g.modelA}\u0000${g.modelB}`);
      const swapped = index.get(`${g.promptId}\u0000${g.modelB}\u0000${g.modelA}`);
      const at = direct ?? swapped;
      if (at === undefined) {
        throw new ModelmapError(
          "input",
          `gold item ${g.promptId} ${g.modelA} vs ${g.modelB} is not a comparison of this campaign`,
        );
      }
      const flip = direct === undefined && (g.winner === "model_a" || g.winner === "model_b");
      (items[at] as { goldWinner: string | null }).goldWinner = flip
        ? g.winner === "model_a"
          ? "model_b"
          : "model_a"
        : g.winner;
    }
    const campaign: Omit<CampaignRecord, "createdAt"> = {
      id: `${
        spec.name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "-")
          .replace(/^-|-$/g, "")
          .slice(0, 40) || "campaign"
      }-${token(4)}`,
      name: spec.name,
      setName: spec.setName,
      models: spec.models,
      perLabeler: spec.perLabeler ?? 4,
      reveal: spec.reveal ?? "after",
      goldRate: spec.goldRate ?? 0.1,
      seed: spec.seed ?? 0,
    };
    await this.#store.labeling.createCampaign(campaign, items);
    return (await this.#store.labeling.campaign(campaign.id)) as CampaignRecord;
  }

  async signup(profile: {
    language?: string | undefined;
    expertise?: string | undefined;
    region?: string | undefined;
  }): Promise<{
    labeler: LabelerRecord;
    sessionToken: string;
  }> {
    const sessionToken = token(24);
    const id = `l_${token(9)}`;
    const clean = (s: string | undefined) => (s === undefined || s.trim() === "" ? null : s.trim().slice(0, 64));
    const rec = {
      id,
      sessionHash: hashToken(sessionToken),
      csrfToken: token(18),
      language: clean(profile.language),
      expertise: clean(profile.expertise),
      region: clean(profile.region),
    };
    await this.#store.labeling.createLabeler(rec);
    const labeler: LabelerRecord = {
      id,
      language: rec.language,
      expertise: rec.expertise,
      region: rec.region,
      csrfToken: rec.csrfToken,
      createdAt: new Date().toISOString(),
    };
    // The labeler's next request finds the session here without a query (when it comes to this instance).
    this.#cacheSession(rec.sessionHash, labeler);
    return { labeler, sessionToken };
  }

  async session(sessionToken: string | undefined): Promise<LabelerRecord | undefined> {
    if (!sessionToken || sessionToken.length > 100) return undefined;
    const hash = hashToken(sessionToken);
    // Sessions never change once created, so a bounded cache saves a query on every request.
    const cached = this.#sessions.get(hash);
    if (cached) return cached;
    const l = await this.#store.labeling.labelerBySession(hash);
    if (l) this.#cacheSession(hash, l);
    return l;
  }

  #cacheSession(hash: string, l: LabelerRecord): void {
    if (this.#sessions.size >= 50_000) this.#sessions.clear();
    this.#sessions.set(hash, l);
  }

  #state(campaignId: string): Promise<CampaignState> {
    const cached = this.#states.get(campaignId);
    if (cached !== undefined) return cached;
    const state = loadCampaignState(this.#store, campaignId);
    this.#states.set(campaignId, state);
    // A failed load (no such campaign) is not kept: the campaign may be created later.
    state.catch(() => {
      if (this.#states.get(campaignId) === state) this.#states.delete(campaignId);
    });
    return state;
  }

  async campaign(id: string): Promise<CampaignRecord> {
    return (await this.#state(id)).campaign;
  }

  async #answer(key: string): Promise<AnswerRecord> {
    let a = this.#answers.get(key);
    if (!a) {
      a = await this.#store.judging.getAnswer(key);
      if (!a) throw new ModelmapError("internal", `answer ${key} is missing`);
      if (this.#answers.size > 20_000) this.#answers.clear();
      this.#answers.set(key, a);
    }
    return a;
  }

  async #view(st: CampaignState, a: AssignmentRecord, index: number): Promise<AssignmentView> {
    const it = st.items.get(a.itemId) as CampaignItem;
    const ansA = (await this.#answer(it.answerA)).outputs;
    const ansB = (await this.#answer(it.answerB)).outputs;
    const [left, right] = a.leftIs === "model_a" ? [ansA, ansB] : [ansB, ansA];
    return {
      assignmentId: a.id,
      turns: st.turns.get(it.promptId) ?? [],
      left,
      right,
      index,
      of: st.campaign.perLabeler,
    };
  }

  /**
   * The labeler's next comparison: the open one if there is one (a reload shows the same pair), else a
   * new one, or undefined when the labeler has done K items of this campaign or none is left to show.
   * New items: a gold item with probability goldRate; otherwise a model pair drawn with probability
   * proportional to how much one more vote shrinks its interval (the Chatbot Arena paper's active
   * sampling), then the least-assigned item of that pair the labeler has not seen.
   */
  next(campaignId: string, labeler: LabelerRecord): Promise<AssignmentView | undefined> {
    return this.#next(campaignId, labeler, undefined);
  }

  /** `next`, from `known` (the labeler's assignments as the store just read them) when given. */
  async #next(
    campaignId: string,
    labeler: LabelerRecord,
    known: AssignmentRecord[] | undefined,
  ): Promise<AssignmentView | undefined> {
    const st = await this.#state(campaignId);
    const key = `${campaignId}\u0000${labeler.id}`;
    // The labeler's next assignment is proposed from this process's picture of their assignments, read from the
    // database only when it has none that could be proposed from: the store stores the proposal only if the
    // picture was right (every assignment voted, the seq next, the item unseen), else it answers with the
    // labeler's assignments and the next try goes on from those. One round trip when the picture is right. A
    // wrong one (the labeler's open assignment shown again, a labeler new to this process) costs a round trip
    // more, and draws of the seeded sequence; two requests of one labeler at once (a double click, a retry to
    // another server) both propose the same seq, and the loser finds the winner's open assignment.
    let mine = known ?? this.#mine.get(key) ?? [];
    let fresh = known !== undefined;
    if (!fresh && mine.length >= st.campaign.perLabeler) {
      mine = await this.#store.labeling.assignmentsOf(campaignId, labeler.id);
      fresh = true;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      if (fresh) {
        this.#remember(key, mine);
        const open = mine.find((a) => a.choice === null);
        if (open) return this.#view(st, open, mine.length);
        if (mine.length >= st.campaign.perLabeler) return undefined;
      }
      const a = pickAssignment(st, campaignId, labeler, mine);
      if (!a) {
        if (fresh) return undefined;
        mine = await this.#store.labeling.assignmentsOf(campaignId, labeler.id);
        fresh = true;
        continue;
      }
      // Counted before the write is awaited, so that a concurrent call of this process sees the item as taken.
      const count = counter(st, a.itemId);
      count(1);
      let r: Awaited<ReturnType<Store["labeling"]["createNextAssignment"]>>;
      try {
        r = await this.#store.labeling.createNextAssignment(a);
      } catch (e) {
        count(-1);
        this.#mine.delete(key);
        throw e;
      }
      if (!r.created) {
        count(-1);
        mine = r.mine;
        fresh = true;
        continue;
      }
      const { seq: _seq, ...stored } = a;
      const rec: AssignmentRecord = {
        ...stored,
        choice: null,
        reason: null,
        voteId: null,
        createdAt: new Date().toISOString(),
        votedAt: null,
      };
      this.#remember(key, [...mine, rec]);
      return this.#view(st, rec, mine.length + 1);
    }
    throw new ModelmapError("conflict", "too many requests for this labeler at once; try again");
  }

  #remember(key: string, mine: AssignmentRecord[]): void {
    if (this.#mine.size >= 50_000 && !this.#mine.has(key)) this.#mine.clear();
    this.#mine.set(key, mine);
  }

  /** Records a vote once per assignment; a retry of the same vote is acknowledged again, a different one refused. */
  async vote(
    campaignId: string,
    labeler: LabelerRecord,
    assignmentId: string,
    choice: LabelChoice,
    reason?: string,
  ): Promise<VoteResult> {
    const st = await this.#state(campaignId);
    return (await this.#vote(st, labeler, assignmentId, choice, reason, false)).vote;
  }

  /**
   * A vote, then the labeler's next comparison (as `next`): the web page's one request per vote. A vote refused
   * throws, as `vote` does; a next pair that fails after the stored vote is null (the vote stands, the caller asks
   * `next` again), undefined is `next`'s "done".
   *
   * The next pair is proposed with the vote, from this process's picture of the labeler even when it is stale
   * or empty (the labeler's last request went to another server): the store counts the seq and stores the
   * proposal in the vote's own statement and commit only when it stands on the labeler's true assignments (this
   * vote recorded, every other one voted, the item unseen, fewer than K). A refused one goes on as `next` does,
   * from the assignments the vote brought back: one more round trip, never a wrong assignment.
   */
  async voteAndNext(
    campaignId: string,
    labeler: LabelerRecord,
    assignmentId: string,
    choice: LabelChoice,
    reason?: string,
  ): Promise<{ vote: VoteResult; next: AssignmentView | undefined | null }> {
    const st = await this.#state(campaignId);
    const key = `${campaignId}\u0000${labeler.id}`;
    const picture = this.#mine.get(key) ?? [];
    const a = picture.length < st.campaign.perLabeler ? pickAssignment(st, campaignId, labeler, picture) : undefined;
    const count = a ? counter(st, a.itemId) : undefined;
    count?.(1);
    const proposal = a && { id: a.id, itemId: a.itemId, leftIs: a.leftIs, perLabeler: st.campaign.perLabeler };
    let r: VoteOutcome;
    try {
      r = await this.#vote(st, labeler, assignmentId, choice, reason, true, proposal);
    } catch (e) {
      count?.(-1);
      throw e;
    }
    if (r.next) {
      const { seq, ...rec } = r.next;
      this.#remember(key, [...(r.mine ?? []), rec]);
      return { vote: r.vote, next: await this.#view(st, rec, seq).catch(() => null) };
    }
    count?.(-1);
    const next = await this.#next(campaignId, labeler, r.mine).catch(() => null);
    return { vote: r.vote, next };
  }

  async #vote(
    st: CampaignState,
    labeler: LabelerRecord,
    assignmentId: string,
    choice: LabelChoice,
    reason: string | undefined,
    withMine: boolean,
    proposal?: ProposedAssignment,
  ): Promise<VoteOutcome> {
    const campaignId = st.campaign.id;
    const key = `${campaignId}\u0000${labeler.id}`;
    const why = reason?.trim() ? reason.trim().slice(0, 2000) : null;
    const winner: Winner =
      choice === "left" ? "model_a" : choice === "right" ? "model_b" : choice === "tie" ? "tie" : "tie_bothbad";
    // The store finds the assignment with its owner, decides on its state (another server may have stored a vote
    // first) and writes the vote with its rating row (none for a gold item) at once, without a read before.
    const r = await this.#store.labeling.voteAs(
      { campaignId, labelerId: labeler.id },
      assignmentId,
      choice,
      why,
      {
        source: `label:${campaignId}`,
        setName: st.campaign.setName,
        winner,
        judge: `human:${labeler.id}`,
        language: labeler.language,
        tstamp: Date.now() / 1000,
        rationale: why,
      },
      { ...(withMine ? { mine: true } : {}), ...(proposal ? { next: proposal } : {}) },
    );
    if (!r) throw new ModelmapError("not_found", "no such assignment for this labeler");
    const it = st.items.get(r.itemId) as CampaignItem;
    const leftModel = r.leftIs === "model_a" ? it.modelA : it.modelB;
    const rightModel = r.leftIs === "model_a" ? it.modelB : it.modelA;
    const reveal = st.campaign.reveal === "after" ? { left: leftModel, right: rightModel } : undefined;
    const done = (status: VoteResult["status"]): VoteOutcome => ({
      vote: reveal ? { status, reveal } : { status },
      ...(r.mine ? { mine: r.mine } : {}),
      ...(r.next ? { next: r.next } : {}),
    });
    if (r.outcome === "different") {
      this.#mine.delete(key);
      throw new ModelmapError("conflict", "this assignment already has a different vote");
    }
    if (r.mine) this.#remember(key, r.mine);
    else this.#voted(key, assignmentId, choice);
    if (r.outcome === "same") return done("duplicate");
    if (it.goldWinner === null) countVote(st.pairStats, it, { leftIs: r.leftIs, choice });
    return done("recorded");
  }

  /** Marks the assignment voted in this process's picture of the labeler (if it holds one). */
  #voted(key: string, assignmentId: string, choice: LabelChoice): void {
    const mine = this.#mine.get(key);
    if (!mine) return;
    this.#mine.set(
      key,
      mine.map((x) => (x.id === assignmentId ? { ...x, choice } : x)),
    );
  }

  /** The ratings of a campaign with votes (not_found before the first), as this viewer may see them. */
  async leaderboard(
    campaignId: string,
    viewer: Viewer,
    opts: { bootstrap?: number; seed?: number } = {},
  ): Promise<RankReport> {
    const s = await this.standings(campaignId, viewer, opts);
    if (!s.report) throw new ModelmapError("not_found", "no votes yet");
    return s.report;
  }
}
