using System.Diagnostics;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Psm.Web.Data.Demo;
using Psm.Web.Features.HelpCentre;

namespace Psm.Bench;

/// <summary>
/// assistant-retrieval: the help-centre assistant's retrieval (analysing the question, ranking passages with their
/// articles' titles and tags, picking the best article per passage, the confidence) over 10 000 published articles;
/// its limit is a bare Lucene.Net query (the same analyser and BM25, one field per article, top five) over the same
/// articles. The questions are the labelled set's 108, asked over and over. Latency p95 is stated for both.
/// </summary>
public static class AssistantScenario
{
    public const string Name = "assistant-retrieval";

    private static readonly string[] Variants = ["cloud", "on-premises", "enterprise", "starter", "EU region", "US region", "mobile", "legacy", "beta", "team"];

    public static async Task<ScenarioResult> RunAsync(int articles, int questions)
    {
        var now = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var demo = new DemoData();
        var seeds = demo.HelpCentre(now, demo.Catalog(now, null).Products).Articles.Where(a => a.Status == ArticleStatus.Published).ToList();
        // Distinct articles made from the demo's: a variant in the title, an edition line and the paragraphs in a shifted order.
        var corpus = Enumerable.Range(0, articles).Select(i =>
        {
            var seed = seeds[i % seeds.Count];
            var paragraphs = seed.Body.Split("\n\n");
            var shift = i / seeds.Count % paragraphs.Length;
            var body = string.Join("\n\n", paragraphs.Skip(shift).Concat(paragraphs.Take(shift)))
                       + $"\n\nApplies to the {Variants[i / seeds.Count % Variants.Length]} edition, release {2020 + i % 7}.{i % 12 + 1}.";
            return new AssistantIndex.IndexedArticle(Guid.NewGuid(), $"{seed.Title} ({Variants[i / seeds.Count % Variants.Length]} {i / seeds.Count / Variants.Length})", $"a-{i}", seed.Tags, body);
        }).ToList();
        var labelled = File.ReadAllLines(Path.Combine(FindRoot(), "tests", "Psm.UnitTests", "Data", "assistant-questions.tsv")).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split('\t')[0]).ToList();
        var asked = Enumerable.Range(0, questions).Select(i => labelled[i % labelled.Count]).ToList();

        using var psmIndex = AssistantIndex.Build("bench", corpus);
        using var bare = BareIndex(corpus);
        using var analyzer = AssistantIndex.NewAnalyzer();
        // Both paths warmed up first (JIT, caches), so neither pays for being first.
        foreach (var question in labelled)
        {
            var words = AssistantIndex.Words(analyzer, question);
            AssistantIndex.Rank(psmIndex, words, 3);
            var warm = new BooleanQuery();
            foreach (var word in words)
            {
                warm.Add(new TermQuery(new Term("text", word)), Occur.SHOULD);
            }

            bare.Searcher.Search(warm, 5);
        }

        var psmTimes = new double[questions];
        var bareTimes = new double[questions];
        var raw = await Measurement.OfAsync(() =>
        {
            for (var i = 0; i < asked.Count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var query = new BooleanQuery();
                foreach (var word in AssistantIndex.Words(analyzer, asked[i]))
                {
                    query.Add(new TermQuery(new Term("text", word)), Occur.SHOULD);
                }

                foreach (var hit in bare.Searcher.Search(query, 5).ScoreDocs)
                {
                    _ = bare.Searcher.Doc(hit.Doc).Get("id");
                }

                bareTimes[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            return Task.CompletedTask;
        });
        var psm = await Measurement.OfAsync(() =>
        {
            for (var i = 0; i < asked.Count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var words = AssistantIndex.Words(analyzer, asked[i]);
                var ranked = AssistantIndex.Rank(psmIndex, words, 3);
                _ = Assistant.Confidence(psmIndex, words, ranked);
                psmTimes[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            return Task.CompletedTask;
        });
        return new ScenarioResult(Name, "any", articles, "answers/s", psm, raw, questions / psm.Elapsed.TotalSeconds, questions / raw.Elapsed.TotalSeconds,
            $"bare Lucene.Net BooleanQuery over one field per article, same analyser and BM25, top 5; p95 PSM {P95(psmTimes):0.00} ms, bare {P95(bareTimes):0.00} ms; "
            + $"{questions:N0} questions from the labelled set");
    }

    private sealed class Bare(DirectoryReader reader) : IDisposable
    {
        public IndexSearcher Searcher { get; } = new(reader) { Similarity = new BM25Similarity() };

        public void Dispose() => reader.Dispose();
    }

    private static Bare BareIndex(IReadOnlyList<AssistantIndex.IndexedArticle> corpus)
    {
        var directory = new RAMDirectory();
        using var analyzer = AssistantIndex.NewAnalyzer();
        using (var writer = new IndexWriter(directory, new IndexWriterConfig(LuceneVersion.LUCENE_48, analyzer) { Similarity = new BM25Similarity() }))
        {
            foreach (var article in corpus)
            {
                writer.AddDocument(new Document
                {
                    new StringField("id", article.Slug, Field.Store.YES),
                    new TextField("text", $"{article.Title} {article.Tags} {article.Body}", Field.Store.NO),
                });
            }

            writer.Commit();
        }

        return new Bare(DirectoryReader.Open(directory));
    }

    private static double P95(double[] times) => times.Order().ElementAt((int)Math.Ceiling(times.Length * 0.95) - 1);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Psm.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Run the bench from inside the repository.");
    }
}
