using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers.FastTree;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Insights;

/// <summary>One training of the churn model: when, on what, how it measured against the baseline rule, and which one scores customers.</summary>
[NotAudited]
public sealed class ChurnRun
{
    public Guid Id { get; set; } = NewId.Next();
    public DateTimeOffset TrainedAt { get; set; }
    public DateOnly Cutoff { get; set; }
    public int TrainRows { get; set; }
    public int TrainPositives { get; set; }
    public int TestRows { get; set; }
    public int TestPositives { get; set; }
    public double? ModelAuc { get; set; }
    public double? ModelTopDecile { get; set; }
    public double? BaselineAuc { get; set; }
    public double? BaselineTopDecile { get; set; }
    public bool ModelInUse { get; set; }
    public int Scored { get; set; }
    public string Note { get; set; } = "";
    public double Seconds { get; set; }
}

/// <summary>A customer's churn risk from the last run: the score, its rank, and the signals that raised it most.</summary>
[NotAudited]
public sealed class ChurnScore
{
    public Guid CustomerId { get; set; }
    public Guid RunId { get; set; }
    public double Score { get; set; }
    public int Rank { get; set; }
    public bool TopDecile { get; set; }
    public string Signals { get; set; } = "[]";
    public DateTimeOffset ScoredAt { get; set; }
}

public sealed record ChurnSignal(string Feature, string Value, double Contribution);

public sealed record ChurnRunDto(
    Guid Id, DateTimeOffset TrainedAt, DateOnly Cutoff, int TrainRows, int TrainPositives, int TestRows, int TestPositives, double? ModelAuc,
    double? ModelTopDecile, double? BaselineAuc, double? BaselineTopDecile, string InUse, int Scored, string Note, double Seconds, string Method);

public sealed record CustomerRiskDto(Guid CustomerId, string Name, string Plan, double Score, int Rank, bool TopDecile, IReadOnlyList<ChurnSignal> Signals, DateTimeOffset ScoredAt);

/// <summary>
/// Churn risk from the company's own history. For each customer with a running subscription on a day, the features as of that day
/// (last NPS and its trend, CSAT, tickets and SLA breaches in 90 days, negative feedback, order recency and frequency, tenure, plan,
/// monthly amount, marketing consent, persona) and the label: no subscription running 90 days later. Rows are taken weekly; the model
/// (ML.NET FastTree) learns on days whose outcome was known before the cut-off, and is measured on the days after it, against the
/// baseline rule "last NPS a detractor or two SLA breaches in 90 days". It scores customers only if it beats the rule on AUC.
/// </summary>
public sealed class ChurnRisk(IDbContextFactory<PsmDb> dbs, TimeProvider time, ILogger<ChurnRisk> logger)
{
    public const string LeaseName = "churn-training";
    public const int HorizonDays = 90;

    public const string Method =
        "Rows: every customer with a subscription running on a day, one day a week. Label: no subscription running 90 days later. " +
        "Trained on days whose 90 days ended before the cut-off; measured on the days after it. AUC: the chance a customer who left is ranked " +
        "above one who stayed. Top-decile precision: the share who left among the 10 % ranked riskiest. Baseline rule: the last NPS answer was " +
        "a detractor (0-6), or two or more SLA breaches in the last 90 days. The model is used only if its AUC beats the rule's. " +
        "Above 200 000 rows, a fixed sample of the customers on each day is taken, so training stays within minutes.";

    private static readonly string[] Numeric =
    [
        "npsKnown", "lastNps", "npsTrend", "csatKnown", "csat90", "tickets90", "breaches90", "feedback180", "negativeShare180",
        "daysSinceOrder", "orders365", "tenureDays", "monthlyAmount", "marketingConsent",
    ];

    public async Task<ChurnRunDto?> LatestAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var run = await db.Set<ChurnRun>().AsNoTracking().OrderByDescending(r => r.TrainedAt).FirstOrDefaultAsync(ct);
        return run is null ? null : ToDto(run);
    }

    public async Task<Page<CustomerRiskDto>> AtRiskAsync(PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var scores = db.Set<ChurnScore>().AsNoTracking();
        if (page.After is { Count: 1 } after)
        {
            if (!int.TryParse(after[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rank))
            {
                throw new RequestValidationException("cursor", "The cursor is not one this list issued.");
            }

            scores = scores.Where(s => s.Rank > rank);
        }
        else if (page.After is not null)
        {
            throw new RequestValidationException("cursor", "The cursor is not one this list issued.");
        }

        var rows = await scores.OrderBy(s => s.Rank).Take(page.Limit + 1)
            .Join(db.Customers, s => s.CustomerId, c => c.Id, (s, c) => new { s, c.Name, c.Plan }).ToListAsync(ct);
        var items = rows.Select(r => ToDto(r.s, r.Name, r.Plan)).ToList();
        return page.ToPage(items, i => [i.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    public async Task<CustomerRiskDto?> ForCustomerAsync(Guid customerId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.Set<ChurnScore>().AsNoTracking().Where(s => s.CustomerId == customerId)
            .Join(db.Customers, s => s.CustomerId, c => c.Id, (s, c) => new { s, c.Name, c.Plan }).SingleOrDefaultAsync(ct);
        return row is null ? null : ToDto(row.s, row.Name, row.Plan);
    }

    /// <summary>
    /// Opens a proactive-outreach ticket for an at-risk customer, assigned to the account's owner: the person who handled most of the
    /// customer's tickets in the last year (unassigned when nobody did). Null when the customer has no score.
    /// </summary>
    public async Task<TicketDto?> OutreachAsync(Guid customerId, Tickets tickets, CancellationToken ct = default)
    {
        var risk = await ForCustomerAsync(customerId, ct);
        if (risk is null)
        {
            return null;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var since = time.GetUtcNow().AddYears(-1);
        var owner = await db.Tickets.AsNoTracking().Where(t => t.CustomerId == customerId && t.AssigneeId != null && t.CreatedAt >= since)
            .GroupBy(t => t.AssigneeId).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => g.Key).FirstOrDefaultAsync(ct);
        var total = await db.Set<ChurnScore>().CountAsync(ct);
        var signals = risk.Signals.Count == 0 ? "no single signal stands out" : string.Join("; ", risk.Signals.Select(x => $"{x.Feature}: {x.Value}"));
        return await tickets.CreateAsync(new TicketInput
        {
            Subject = $"Proactive outreach: {risk.Name} is at risk of leaving",
            Description = $"Churn risk {risk.Score:P0}, ranked {risk.Rank} of {total} customers (scored {risk.ScoredAt:yyyy-MM-dd}). What raised it: {signals}. " +
                          "Call the customer, hear what is wrong and agree what happens next, before they decide.",
            CustomerId = customerId, Channel = TicketChannel.Phone, Priority = TicketPriority.High, AssigneeId = owner,
            Tags = ["proactive-outreach", "churn-risk"],
        }, ct);
    }

    /// <summary>Trains, measures and scores, once across instances (the lease); null when another instance is training.</summary>
    public async Task<ChurnRunDto?> TrainAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var started = time.GetUtcNow();
        if (!await Leases.TryTakeAsync(db, LeaseName, Leases.ThisInstance, TimeSpan.FromMinutes(30), started, ct))
        {
            return null;
        }

        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var history = await History.LoadAsync(db, ct);
            var today = DateOnly.FromDateTime(started.UtcDateTime);
            var (run, model, train) = Fit(history, today, started);
            var ranked = Score(history, run, model, train, today, started);
            run.Seconds = Math.Round(watch.Elapsed.TotalSeconds, 2);
            await using (var tx = await db.Database.BeginTransactionAsync(ct))
            {
                await db.Set<ChurnScore>().ExecuteDeleteAsync(ct);
                db.Add(run);
                await db.SaveChangesAsync(ct);
                await using (var writer = BulkWriter<ChurnScore>.Open(db))
                {
                    foreach (var score in ranked)
                    {
                        await writer.WriteAsync(score, ct);
                    }

                    await writer.CompleteAsync(ct);
                }

                await tx.CommitAsync(ct);
            }

            logger.LogInformation("Churn model trained on {Rows} rows in {Seconds} s: AUC {Auc} against the rule's {Baseline}; {InUse} in use.",
                run.TrainRows, run.Seconds, run.ModelAuc, run.BaselineAuc, run.ModelInUse ? "model" : "rule");
            return ToDto(run);
        }
        finally
        {
            await Leases.ReleaseAsync(db, LeaseName, Leases.ThisInstance, CancellationToken.None);
        }
    }

    /// <summary>At most this many labelled rows (training and measuring together); beyond it, a fixed sample of the customers on each day.</summary>
    public const int MaxLabelledRows = 200_000;

    /// <summary>
    /// Trains the model on the days whose outcome was known before the cut-off (180 days ago) and measures it and the baseline rule
    /// on the days after it. The model is null when the history holds too few customers who left or stayed.
    /// </summary>
    internal static (ChurnRun Run, Model? Model, List<Example> Train) Fit(History history, DateOnly today, DateTimeOffset started)
    {
        var cutoff = today.AddDays(-2 * HorizonDays);
        var run = new ChurnRun { TrainedAt = started, Cutoff = cutoff };
        var (train, test) = (new List<Example>(), new List<Example>());
        // Weekly days, from the first day some customer could be labelled; the last outcome known is today's.
        var days = new List<DateOnly>();
        for (var day = today.AddDays(-HorizonDays); day >= history.Start; day = day.AddDays(-7))
        {
            days.Add(day);
        }

        var every = Math.Max(1, (int)Math.Ceiling((double)history.Customers * days.Count / MaxLabelledRows));
        foreach (var day in days)
        {
            var target = day.AddDays(HorizonDays) <= cutoff ? train : day > cutoff ? test : null;
            target?.AddRange(history.Examples(day, labelled: true, every));
        }

        (run.TrainRows, run.TrainPositives, run.TestRows, run.TestPositives) = (train.Count, train.Count(e => e.Left), test.Count, test.Count(e => e.Left));
        var baselineTest = test.Select(e => (Score: Baseline(e.Features), e.Left)).ToList();
        (run.BaselineAuc, run.BaselineTopDecile) = (Auc(baselineTest), TopDecile(baselineTest));
        Model? model = null;
        if (run.TrainPositives >= 10 && run.TrainRows - run.TrainPositives >= 10)
        {
            model = Model.Fit(new MLContext(seed: 17), train, history.FeatureCount);
            var modelTest = test.Zip(model.Probabilities(test), (e, p) => (Score: (double)p, e.Left)).ToList();
            (run.ModelAuc, run.ModelTopDecile) = (Auc(modelTest), TopDecile(modelTest));
        }

        run.ModelInUse = model is not null && run.ModelAuc > (run.BaselineAuc ?? 0.5);
        run.Note = model is null
            ? $"Too little history to train: {run.TrainPositives} customers left among {run.TrainRows} training rows (10 of each needed). The baseline rule scores customers."
            : run.ModelInUse
                ? "The model ranks customers better than the baseline rule on the days after the cut-off, so it scores them."
                : "The model did not beat the baseline rule on the days after the cut-off, so the rule scores customers.";
        return (run, model, train);
    }

    /// <summary>
    /// Today's customers, ranked: the model's probability and its largest contributions when it is in use, or else the rule and the
    /// share of training rows who left when it held (or did not).
    /// </summary>
    internal static List<ChurnScore> Score(History history, ChurnRun run, Model? model, List<Example> train, DateOnly today, DateTimeOffset started)
    {
        var now = history.Examples(today, labelled: false);
        var scores = new List<ChurnScore>(now.Count);
        if (run.ModelInUse)
        {
            var (probabilities, contributions) = model!.Explain(now);
            for (var i = 0; i < now.Count; i++)
            {
                scores.Add(new ChurnScore { CustomerId = now[i].CustomerId, RunId = run.Id, Score = Math.Round(probabilities[i], 4), ScoredAt = started,
                    Signals = JsonSerializer.Serialize(history.Signals(now[i].Features, contributions[i])) });
            }
        }
        else
        {
            var fired = train.Where(e => Baseline(e.Features) > 0).ToList();
            var quiet = train.Where(e => Baseline(e.Features) == 0).ToList();
            var riskIf = fired.Count == 0 ? 0 : (double)fired.Count(e => e.Left) / fired.Count;
            var riskElse = quiet.Count == 0 ? 0 : (double)quiet.Count(e => e.Left) / quiet.Count;
            foreach (var e in now)
            {
                var holds = Baseline(e.Features) > 0;
                scores.Add(new ChurnScore { CustomerId = e.CustomerId, RunId = run.Id, Score = Math.Round(holds ? riskIf : riskElse, 4), ScoredAt = started,
                    Signals = JsonSerializer.Serialize(History.RuleSignals(e.Features)) });
            }
        }

        var ranked = scores.OrderByDescending(s => s.Score).ThenBy(s => s.CustomerId).ToList();
        var decile = (int)Math.Ceiling(ranked.Count / 10.0);
        for (var i = 0; i < ranked.Count; i++)
        {
            ranked[i].Rank = i + 1;
            ranked[i].TopDecile = i < decile;
        }

        run.Scored = ranked.Count;
        return ranked;
    }

    /// <summary>The baseline rule: 1 when the last NPS answer was a detractor or two SLA breaches fell in the last 90 days.</summary>
    public static double Baseline(float[] f) => Detractor(f) || Breached(f) ? 1 : 0;

    private static bool Detractor(float[] f) => f[0] > 0 && f[1] <= 6;

    private static bool Breached(float[] f) => f[6] >= 2;

    /// <summary>Area under the ROC curve by ranks (Mann-Whitney), ties counted half; null without both outcomes.</summary>
    public static double? Auc(IReadOnlyList<(double Score, bool Left)> rows)
    {
        long positives = rows.Count(r => r.Left), negatives = rows.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        var sorted = rows.OrderBy(r => r.Score).ToList();
        double rankSum = 0;
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j < sorted.Count && sorted[j].Score == sorted[i].Score) j++;
            var averageRank = (i + 1 + j) / 2.0;
            rankSum += averageRank * sorted.Skip(i).Take(j - i).Count(r => r.Left);
            i = j;
        }

        return Math.Round((rankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives), 4);
    }

    /// <summary>
    /// The share who left among the tenth of rows ranked riskiest. Rows tied at the boundary count in proportion, as if the tie were
    /// broken at random: a rule that gives most rows the same score gets the rate of its tied group, not a lucky or unlucky order.
    /// </summary>
    public static double? TopDecile(IReadOnlyList<(double Score, bool Left)> rows)
    {
        if (rows.Count == 0)
        {
            return null;
        }

        var k = Math.Ceiling(rows.Count / 10.0);
        double taken = 0, left = 0;
        foreach (var group in rows.GroupBy(r => r.Score).OrderByDescending(g => g.Key))
        {
            var n = group.Count();
            var share = Math.Min(1, (k - taken) / n);
            taken += share * n;
            left += share * group.Count(r => r.Left);
            if (taken >= k)
            {
                break;
            }
        }

        return Math.Round(left / k, 4);
    }

    private static ChurnRunDto ToDto(ChurnRun r) => new(r.Id, r.TrainedAt, r.Cutoff, r.TrainRows, r.TrainPositives, r.TestRows, r.TestPositives, r.ModelAuc,
        r.ModelTopDecile, r.BaselineAuc, r.BaselineTopDecile, r.ModelInUse ? "model" : "baseline", r.Scored, r.Note, r.Seconds, Method);

    private static CustomerRiskDto ToDto(ChurnScore s, string name, string plan) =>
        new(s.CustomerId, name, plan, s.Score, s.Rank, s.TopDecile, JsonSerializer.Deserialize<List<ChurnSignal>>(s.Signals) ?? [], s.ScoredAt);

    /// <summary>A customer on a day: the features and, for a past day, whether they had left 90 days later.</summary>
    public sealed record Example(Guid CustomerId, float[] Features, bool Left);

    /// <summary>A row as ML.NET reads it; the feature vector's length is set when the data is loaded.</summary>
    public sealed class Row
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    internal sealed class Model(MLContext ml, ITransformer fitted, BinaryPredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>> trained, int width)
    {
        public static Model Fit(MLContext ml, List<Example> rows, int width)
        {
            var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                LabelColumnName = nameof(Row.Label), FeatureColumnName = nameof(Row.Features), NumberOfLeaves = 6, NumberOfTrees = 60,
                MinimumExampleCountPerLeaf = 20, LearningRate = 0.1, Seed = 17,
            });
            var trained = trainer.Fit(Load(ml, rows, width));
            return new Model(ml, trained, trained, width);
        }

        /// <summary>The fitted pipeline and the feature vector's length, for a bare prediction loop to compare with.</summary>
        public ITransformer Fitted => fitted;

        public int Width => width;

        /// <summary>Labelled rows as ML.NET reads them (the bench fits its bare trainer on the same view).</summary>
        internal static IDataView Load(MLContext ml, IEnumerable<Example> rows, int width) =>
            ml.Data.LoadFromEnumerable(rows.Select(e => new Row { Label = e.Left, Features = e.Features }), Schema(width));

        /// <summary>Each row's probability, through a prediction engine (a data view over a list costs more than the trees).</summary>
        public float[] Probabilities(List<Example> rows)
        {
            var engine = ml.Model.CreatePredictionEngine<Row, Explained>(fitted, inputSchemaDefinition: Schema(width));
            var probabilities = new float[rows.Count];
            var output = new Explained();
            for (var i = 0; i < rows.Count; i++)
            {
                engine.Predict(new Row { Features = rows[i].Features }, ref output);
                probabilities[i] = output.Probability;
            }

            return probabilities;
        }

        /// <summary>Each row's probability and every feature's contribution to it, in one prediction per row.</summary>
        public (float[] Probabilities, float[][] Contributions) Explain(List<Example> rows)
        {
            var scored = fitted.Transform(Load(ml, rows.Take(1), width));
            var contributions = ml.Transforms.CalculateFeatureContribution(trained, numberOfPositiveContributions: width, numberOfNegativeContributions: 0, normalize: false)
                .Fit(scored);
            var engine = ml.Model.CreatePredictionEngine<Row, Explained>(new TransformerChain<ITransformer>(fitted, contributions), inputSchemaDefinition: Schema(width));
            var (probabilities, all) = (new float[rows.Count], new float[rows.Count][]);
            for (var i = 0; i < rows.Count; i++)
            {
                var output = new Explained();
                engine.Predict(new Row { Features = rows[i].Features }, ref output);
                probabilities[i] = output.Probability;
                all[i] = output.FeatureContributions.Length == width ? output.FeatureContributions : new float[width];
            }

            return (probabilities, all);
        }

        internal static SchemaDefinition Schema(int width)
        {
            var schema = SchemaDefinition.Create(typeof(Row));
            schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
            return schema;
        }
    }

    /// <summary>What a prediction gives back: the calibrated probability and, when asked for, each feature's contribution.</summary>
    public sealed class Explained
    {
        public float Probability { get; set; }

        public float[] FeatureContributions { get; set; } = [];
    }

    /// <summary>Everything the features are computed from, read once, grouped by customer in date order.</summary>
    internal sealed class History
    {
        private readonly List<string> plans = [];
        private readonly List<Guid> personas = [];
        private readonly Dictionary<Guid, string> personaNames = [];
        private List<(Guid Id, string Plan, Guid? Persona, bool Consent)> customers = [];
        private ILookup<Guid, (DateOnly Start, DateOnly? End, decimal Monthly)> subscriptions = null!;
        private ILookup<Guid, DateOnly> orders = null!;
        private ILookup<Guid, (DateOnly On, int Score)> nps = null!;
        private ILookup<Guid, (DateOnly On, int Score)> csat = null!;
        private ILookup<Guid, (DateOnly On, bool Breached)> tickets = null!;
        private ILookup<Guid, (DateOnly On, bool Negative)> feedback = null!;

        public DateOnly Start { get; private set; }

        public int FeatureCount => Numeric.Length + plans.Count + personas.Count + 1;

        public static async Task<History> LoadAsync(PsmDb db, CancellationToken ct)
        {
            var h = new History
            {
                customers = (await db.Customers.AsNoTracking().Where(c => c.ArchivedAt == null)
                    .Select(c => new { c.Id, c.Plan, c.PersonaId, c.MarketingConsent }).ToListAsync(ct)).Select(c => (c.Id, c.Plan, c.PersonaId, c.MarketingConsent)).ToList(),
            };
            h.plans.AddRange(h.customers.Select(c => c.Plan).Where(p => p.Length > 0).Distinct().Order(StringComparer.Ordinal));
            foreach (var p in await db.Personas.AsNoTracking().OrderBy(p => p.Name).Select(p => new { p.Id, p.Name }).ToListAsync(ct))
            {
                h.personas.Add(p.Id);
                h.personaNames[p.Id] = p.Name;
            }

            h.subscriptions = (await db.Subscriptions.AsNoTracking().Select(s => new { s.CustomerId, s.StartedOn, s.CancelledOn, s.MonthlyAmount }).ToListAsync(ct))
                .ToLookup(s => s.CustomerId, s => (s.StartedOn, s.CancelledOn, s.MonthlyAmount));
            h.orders = (await db.Orders.AsNoTracking().Select(o => new { o.CustomerId, o.OrderedOn }).ToListAsync(ct)).ToLookup(o => o.CustomerId, o => o.OrderedOn);
            var answers = await db.SurveyResponses.AsNoTracking().Where(r => r.CustomerId != null)
                .Select(r => new { CustomerId = r.CustomerId!.Value, r.RespondedOn, r.Score, r.Survey!.Kind }).ToListAsync(ct);
            h.nps = answers.Where(a => a.Kind == SurveyKind.Nps).OrderBy(a => a.RespondedOn).ToLookup(a => a.CustomerId, a => (a.RespondedOn, a.Score));
            h.csat = answers.Where(a => a.Kind == SurveyKind.Csat).OrderBy(a => a.RespondedOn).ToLookup(a => a.CustomerId, a => (a.RespondedOn, a.Score));
            h.tickets = (await db.Tickets.AsNoTracking().Select(t => new { t.CustomerId, t.CreatedAt, Breached = t.FirstResponseBreachedAt != null || t.ResolutionBreachedAt != null })
                    .ToListAsync(ct))
                .ToLookup(t => t.CustomerId, t => (DateOnly.FromDateTime(t.CreatedAt.UtcDateTime), t.Breached));
            h.feedback = (await db.Feedback.AsNoTracking().Where(f => f.CustomerId != null)
                    .Select(f => new { CustomerId = f.CustomerId!.Value, f.ReceivedOn, Negative = f.SentimentLabel == SentimentLabel.Negative }).ToListAsync(ct))
                .ToLookup(f => f.CustomerId, f => (f.ReceivedOn, f.Negative));
            var firstSignal = answers.Count == 0 ? (DateOnly?)null : answers.Min(a => a.RespondedOn);
            var firstStart = h.subscriptions.SelectMany(g => g).Select(s => s.Start).DefaultIfEmpty(DateOnly.MaxValue).Min();
            h.Start = firstSignal is { } signal && signal > firstStart ? signal : firstStart;
            return h;
        }

        private static bool Running(IEnumerable<(DateOnly Start, DateOnly? End, decimal Monthly)> subs, DateOnly day) =>
            subs.Any(s => s.Start <= day && (s.End is null || s.End > day));

        public int Customers => customers.Count;

        /// <summary>
        /// Every customer with a subscription running on <paramref name="day"/>, with the features as of that day; with
        /// <paramref name="every"/> above 1, only the customers a fixed hash of their id and the day picks, one in that many.
        /// </summary>
        public List<Example> Examples(DateOnly day, bool labelled, int every = 1)
        {
            var list = new List<Example>();
            foreach (var c in customers)
            {
                if (every > 1 && unchecked((uint)(c.Id.GetHashCode() ^ (day.DayNumber * -1640531535))) % (uint)every != 0)
                {
                    continue;
                }

                var subs = subscriptions[c.Id];
                if (!Running(subs, day))
                {
                    continue;
                }

                var f = new float[FeatureCount];
                var past = nps[c.Id].Where(a => a.On < day).ToList();
                if (past.Count > 0)
                {
                    f[0] = 1;
                    f[1] = past[^1].Score;
                    f[2] = past.Count >= 2 ? past[^1].Score - past[^2].Score : 0;
                }

                var recentCsat = csat[c.Id].Where(a => a.On < day && a.On >= day.AddDays(-90)).ToList();
                if (recentCsat.Count > 0)
                {
                    f[3] = 1;
                    f[4] = (float)recentCsat.Average(a => a.Score);
                }

                var recentTickets = tickets[c.Id].Where(t => t.On < day && t.On >= day.AddDays(-90)).ToList();
                f[5] = recentTickets.Count;
                f[6] = recentTickets.Count(t => t.Breached);
                var recentFeedback = feedback[c.Id].Where(x => x.On < day && x.On >= day.AddDays(-180)).ToList();
                f[7] = recentFeedback.Count;
                f[8] = recentFeedback.Count == 0 ? 0 : (float)recentFeedback.Count(x => x.Negative) / recentFeedback.Count;
                var bought = orders[c.Id].Where(o => o < day).ToList();
                f[9] = bought.Count == 0 ? 730 : Math.Min(730, day.DayNumber - bought.Max().DayNumber);
                f[10] = bought.Count(o => o >= day.AddDays(-365));
                f[11] = day.DayNumber - subs.Min(s => s.Start).DayNumber;
                f[12] = (float)subs.Where(s => s.Start <= day && (s.End is null || s.End > day)).Sum(s => s.Monthly);
                f[13] = c.Consent ? 1 : 0;
                var plan = plans.IndexOf(c.Plan);
                if (plan >= 0) f[Numeric.Length + plan] = 1;
                var persona = c.Persona is { } p ? personas.IndexOf(p) : -1;
                f[Numeric.Length + plans.Count + (persona >= 0 ? persona : personas.Count)] = 1;
                list.Add(new Example(c.Id, f, labelled && !Running(subs, day.AddDays(HorizonDays))));
            }

            return list;
        }

        /// <summary>The three features that raised a customer's score most, with their values, plan and persona slots taken together.</summary>
        public List<ChurnSignal> Signals(float[] f, float[] contributions)
        {
            // Groups: a numeric feature each (the NPS and CSAT pairs as one), then all plan slots, then all persona slots.
            var planGroup = Numeric.Length;
            var personaGroup = Numeric.Length + 1;
            Span<double> sums = stackalloc double[Numeric.Length + 2];
            for (var i = 0; i < contributions.Length && i < f.Length; i++)
            {
                var group = i switch { 1 => 0, 4 => 3, _ when i < Numeric.Length => i, _ when i < Numeric.Length + plans.Count => planGroup, _ => personaGroup };
                sums[group] += contributions[i];
            }

            var top = new List<ChurnSignal>(3);
            Span<bool> taken = stackalloc bool[sums.Length];
            for (var k = 0; k < 3; k++)
            {
                var best = -1;
                for (var g = 0; g < sums.Length; g++)
                {
                    if (!taken[g] && sums[g] > 0 && (best < 0 || sums[g] > sums[best])) best = g;
                }

                if (best < 0) break;
                taken[best] = true;
                var (name, value) = Describe(best == planGroup ? Numeric.Length : best == personaGroup ? Numeric.Length + plans.Count : best, f);
                top.Add(new ChurnSignal(name, value, Math.Round(sums[best], 4)));
            }

            return top;
        }

        /// <summary>The rule's reasons, when it holds.</summary>
        public static List<ChurnSignal> RuleSignals(float[] f)
        {
            var list = new List<ChurnSignal>();
            if (Detractor(f)) list.Add(new ChurnSignal("Last NPS answer", $"{f[1]:0} (a detractor)", 1));
            if (Breached(f)) list.Add(new ChurnSignal("SLA breaches, last 90 days", $"{f[6]:0}", 1));
            return list;
        }

        private (string Name, string Value) Describe(int i, float[] f)
        {
            var c = System.Globalization.CultureInfo.InvariantCulture;
            if (i >= Numeric.Length + plans.Count)
            {
                var chosen = Enumerable.Range(0, personas.Count + 1).FirstOrDefault(k => f[Numeric.Length + plans.Count + k] > 0, personas.Count);
                return ("Persona", chosen < personas.Count ? personaNames[personas[chosen]] : "none");
            }

            if (i >= Numeric.Length)
            {
                var chosen = Enumerable.Range(0, plans.Count).FirstOrDefault(k => f[Numeric.Length + k] > 0, -1);
                return ("Plan", chosen >= 0 ? plans[chosen] : "none");
            }

            return i switch
            {
                0 or 1 => ("Last NPS answer", f[0] > 0 ? f[1].ToString("0", c) : "none"),
                2 => ("NPS trend (last answer against the one before)", f[2].ToString("+0;-0;0", c)),
                3 or 4 => ("CSAT, last 90 days", f[3] > 0 ? f[4].ToString("0.#", c) + " of 5" : "none"),
                5 => ("Tickets, last 90 days", f[5].ToString("0", c)),
                6 => ("SLA breaches, last 90 days", f[6].ToString("0", c)),
                7 => ("Feedback, last 180 days", f[7].ToString("0", c)),
                8 => ("Negative share of feedback, last 180 days", (f[8] * 100).ToString("0", c) + " %"),
                9 => ("Days since the last order", f[9] >= 730 ? "none in two years" : f[9].ToString("0", c)),
                10 => ("Orders, last 365 days", f[10].ToString("0", c)),
                11 => ("Tenure", (f[11] / 30.4).ToString("0", c) + " months"),
                12 => ("Monthly amount", f[12].ToString("#,0", c)),
                _ => ("Marketing consent", f[13] > 0 ? "given" : "not given"),
            };
        }
    }
}

/// <summary>Retrains the churn model every <c>Churn:TrainHours</c> (24 by default; 0 turns it off), first a minute after start when no run is a period old.</summary>
public sealed class ChurnJob(IServiceScopeFactory scopes, IConfiguration config, TimeProvider time, ILogger<ChurnJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromHours(config.GetValue("Churn:TrainHours", 24.0));
        if (every <= TimeSpan.Zero)
        {
            return;
        }

        var wait = TimeSpan.FromSeconds(config.GetValue("Churn:FirstDelaySeconds", 60.0));
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(wait, time, stoppingToken);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var churn = scope.ServiceProvider.GetRequiredService<ChurnRisk>();
                if (await churn.LatestAsync(stoppingToken) is not { } last || time.GetUtcNow() - last.TrainedAt >= every)
                {
                    await churn.TrainAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Training the churn model failed; it will try again.");
            }

            wait = TimeSpan.FromMinutes(Math.Min(every.TotalMinutes, 60));
        }
    }
}

internal sealed class ChurnConfiguration : IEntityTypeConfiguration<ChurnRun>, IEntityTypeConfiguration<ChurnScore>
{
    public void Configure(EntityTypeBuilder<ChurnRun> run)
    {
        run.ToTable("ChurnRuns");
        run.Property(r => r.Note).HasMaxLength(500);
        run.HasIndex(r => r.TrainedAt);
    }

    public void Configure(EntityTypeBuilder<ChurnScore> score)
    {
        score.ToTable("ChurnScores");
        score.HasKey(s => s.CustomerId);
        score.Property(s => s.Signals).HasMaxLength(2000);
        score.HasIndex(s => s.Rank);
    }
}
