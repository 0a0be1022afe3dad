using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Insights;
using Psm.Web.Features.ServiceDesk;

namespace Psm.Bench;

/// <summary>
/// Churn risk over 100 000 customers with their history: training (history read, features, fit, measuring against the rule,
/// scoring and storing every customer's score) against FastTree fitting the same rows alone, and scoring today's customers
/// (features, probabilities, contributions, signals, ranks) against a bare ML.NET prediction loop over the same feature vectors.
/// </summary>
public static class ChurnScenarios
{
    public const string Training = "churn-training";
    public const string Scoring = "churn-scoring";

    public static async Task<ScenarioResult> RunTrainingAsync(string provider, int customers, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        await SeedAsync(database, customers);
        var churn = new ChurnRisk(database.Factory(), TimeProvider.System, NullLogger<ChurnRisk>.Instance);
        ChurnRunDto? run = null;
        async Task Psm() => run = await churn.TrainAsync();

        // The limit: the library fitting the same training rows, already in memory.
        var (history, today) = await HistoryAsync(database);
        var (fitted, _, train) = ChurnRisk.Fit(history, today, DateTimeOffset.UtcNow);
        Task Raw()
        {
            var ml = new MLContext(seed: 17);
            ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                LabelColumnName = nameof(ChurnRisk.Row.Label), FeatureColumnName = nameof(ChurnRisk.Row.Features), NumberOfLeaves = 6, NumberOfTrees = 60,
                MinimumExampleCountPerLeaf = 20, LearningRate = 0.1, Seed = 17,
            }).Fit(ChurnRisk.Model.Load(ml, train, history.FeatureCount));
            return Task.CompletedTask;
        }

        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);
        Console.WriteLine($"  trained on {run!.TrainRows:N0} rows ({run.TrainPositives:N0} left), measured on {run.TestRows:N0}: AUC {run.ModelAuc} against the rule's {run.BaselineAuc}; " +
                          $"{run.InUse} in use; {run.Scored:N0} customers scored");
        if (run.Scored < customers / 3 || run.TrainRows != fitted.TrainRows || run.ModelAuc is null)
        {
            throw new InvalidOperationException($"The training went wrong: {run.Scored} scored, {run.TrainRows} rows against {fitted.TrainRows} fitted by hand, AUC {run.ModelAuc}.");
        }

        await using (var db = await database.Factory().CreateDbContextAsync())
        {
            var stored = await db.ChurnScores.CountAsync();
            if (stored != run.Scored)
            {
                throw new InvalidOperationException($"{run.Scored} scored but {stored} stored.");
            }
        }

        return new ScenarioResult(Training, provider, customers, "trainings/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: $"ML.NET FastTree fitting the same {train.Count:N0} training rows, already in memory (PSM also reads the history, builds the features, measures the model and the rule, scores and stores every customer)");
    }

    public static async Task<ScenarioResult> RunScoringAsync(string provider, int customers, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        await SeedAsync(database, customers);
        var (history, today) = await HistoryAsync(database);
        var started = DateTimeOffset.UtcNow;
        var (run, model, train) = ChurnRisk.Fit(history, today, started);
        if (model is null)
        {
            throw new InvalidOperationException("The bench's history trained no model.");
        }

        // Scoring by the model either way: the bench measures the model's path.
        run.ModelInUse = true;
        List<Psm.Web.Features.Insights.ChurnScore> scores = [];
        Task Psm()
        {
            scores = ChurnRisk.Score(history, run, model, train, today, started);
            return Task.CompletedTask;
        }

        var features = history.Examples(today, labelled: false).Select(e => new ChurnRisk.Row { Features = e.Features }).ToList();
        var ml = new MLContext(seed: 17);
        var engine = ml.Model.CreatePredictionEngine<ChurnRisk.Row, Prediction>(model.Fitted, inputSchemaDefinition: ChurnRisk.Model.Schema(model.Width));
        var bare = new float[features.Count];
        Task Raw()
        {
            for (var i = 0; i < features.Count; i++)
            {
                bare[i] = engine.Predict(features[i]).Probability;
            }

            return Task.CompletedTask;
        }

        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);
        var byCustomer = scores.ToDictionary(s => s.CustomerId, s => s.Score);
        var examples = history.Examples(today, labelled: false);
        for (var i = 0; i < examples.Count; i++)
        {
            if (Math.Abs(byCustomer[examples[i].CustomerId] - Math.Round(bare[i], 4)) > 0.0001)
            {
                throw new InvalidOperationException($"Customer {examples[i].CustomerId}: PSM scored {byCustomer[examples[i].CustomerId]}, the bare loop {bare[i]}.");
            }
        }

        return new ScenarioResult(Scoring, provider, features.Count, "customers/s", p, r, features.Count / p.Elapsed.TotalSeconds, features.Count / r.Elapsed.TotalSeconds,
            Limit: "an ML.NET PredictionEngine loop over the same customers' feature vectors, already built (PSM also builds them, and gives each customer their three largest feature contributions and a rank)");
    }

    public sealed class Prediction
    {
        public float Probability { get; set; }
    }

    private static async Task<(ChurnRisk.History History, DateOnly Today)> HistoryAsync(BenchDatabase database)
    {
        await using var db = await database.Factory().CreateDbContextAsync();
        return (await ChurnRisk.History.LoadAsync(db, default), DateOnly.FromDateTime(DateTime.UtcNow));
    }

    /// <summary>
    /// Customers with a subscription over two and a half years; a third are unhappy (detractor answers, more tickets, more breaches)
    /// and half of those leave, against a tenth of the others. Answers and tickets fall while the subscription runs.
    /// </summary>
    private static async Task SeedAsync(BenchDatabase database, int count)
    {
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var rng = new Random(41);
        var people = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(count, now)).ToList();
        await MetricSeriesScenario.SeedAsync(database, people);
        var product = new Product { Name = "Bench product", CreatedAt = now };
        await MetricSeriesScenario.SeedAsync(database, new[] { product });
        var survey = new Survey { Name = "Relationship NPS", Kind = SurveyKind.Nps, Question = "Recommend?", Status = SurveyStatus.Open, CreatedAt = now.AddYears(-3) };
        await MetricSeriesScenario.SeedAsync(database, new[] { survey });

        var subscriptions = new List<Subscription>(count);
        var answers = new List<SurveyResponse>();
        var tickets = new List<Ticket>();
        var orders = new List<Order>();
        foreach (var c in people)
        {
            var unhappy = rng.Next(3) == 0;
            var start = today.AddDays(-rng.Next(60, 900));
            DateOnly? end = rng.NextDouble() < (unhappy ? 0.5 : 0.1) ? start.AddDays(rng.Next(60, 700)) : null;
            if (end >= today) end = null;
            subscriptions.Add(new Subscription
            {
                CustomerId = c.Id, ProductId = product.Id, Plan = c.Plan.Length > 0 ? c.Plan : "Pro", MonthlyAmount = new[] { 90m, 390m, 1_990m }[rng.Next(3)],
                Currency = "EUR", StartedOn = start, CancelledOn = end, CreatedAt = now,
            });
            var last = end ?? today;
            var span = Math.Max(1, last.DayNumber - start.DayNumber);
            DateOnly During() => start.AddDays(rng.Next(span));
            for (var wave = 1; wave <= 1 + rng.Next(3); wave++)
            {
                var on = During();
                var at = new DateTimeOffset(on.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero);
                answers.Add(new SurveyResponse
                {
                    SurveyId = survey.Id, Wave = wave, CustomerId = c.Id, Score = unhappy ? rng.Next(0, 8) : rng.Next(5, 11), Channel = ResponseChannel.Import,
                    RespondedAt = at, RespondedOn = on,
                });
            }

            for (var t = rng.Next(unhappy ? 5 : 3); t > 0; t--)
            {
                var created = new DateTimeOffset(During().ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero);
                tickets.Add(new Ticket
                {
                    Number = 1_001 + tickets.Count, Subject = "Bench ticket", CustomerId = c.Id, ProductId = product.Id, Channel = TicketChannel.Email,
                    Priority = TicketPriority.Normal, Status = TicketStatus.Closed, CreatedAt = created, ResolvedAt = created.AddHours(20),
                    FirstResponseBreachedAt = rng.NextDouble() < (unhappy ? 0.4 : 0.1) ? created.AddHours(4) : null,
                });
            }

            for (var o = rng.Next(1, 4); o > 0; o--)
            {
                orders.Add(new Order { CustomerId = c.Id, ProductId = product.Id, Amount = 100 + rng.Next(2_000), Currency = "EUR", OrderedOn = During(), CreatedAt = now });
            }
        }

        await MetricSeriesScenario.SeedAsync(database, subscriptions);
        await MetricSeriesScenario.SeedAsync(database, answers);
        await MetricSeriesScenario.SeedAsync(database, tickets);
        await MetricSeriesScenario.SeedAsync(database, orders);
        Console.WriteLine($"  seeded {count:N0} customers, {answers.Count:N0} answers, {tickets.Count:N0} tickets, {orders.Count:N0} orders");
    }
}
