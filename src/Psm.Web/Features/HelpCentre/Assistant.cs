using System.Security.Cryptography;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.HelpCentre;

/// <summary>
/// The published articles as a Lucene.Net index (BM25, English stemming and stop words), cut into passages of a
/// few paragraphs, each carrying its article's title and tags. Kept in memory per instance; rebuilt when an
/// article changes here, and at most 30 seconds after one changed on another instance.
/// </summary>
public sealed class AssistantIndex(IServiceScopeFactory scopes, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim gate = new(1, 1);
    private Snapshot? current;
    private DateTimeOffset checkedAt;
    private volatile bool stale = true;

    /// <summary>One built index: the searcher and, per article, its title, slug and analysed words (for the confidence).</summary>
    public sealed class Snapshot(string stamp, DirectoryReader reader, Dictionary<string, (string Title, string Slug, HashSet<string> Words)> articles) : IDisposable
    {
        public string Stamp { get; } = stamp;
        public IndexSearcher Searcher { get; } = new(reader) { Similarity = new BM25Similarity() };
        public Dictionary<string, (string Title, string Slug, HashSet<string> Words)> Articles { get; } = articles;

        public void Dispose() => reader.Dispose();
    }

    public static Analyzer NewAnalyzer() => new EnglishAnalyzer(LuceneVersion.LUCENE_48);

    /// <summary>An article was written, published, archived or withdrawn here: the next question rebuilds.</summary>
    public void Invalidate() => stale = true;

    public async Task<Snapshot> GetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (current is { } ready && !stale && now - checkedAt < CheckEvery)
        {
            return ready;
        }

        await gate.WaitAsync(ct);
        try
        {
            // A singleton: the (scoped) context factory comes from a scope of its own.
            await using var scope = scopes.CreateAsyncScope();
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync(ct);
            var versions = await db.Articles.AsNoTracking().Where(a => a.Status == ArticleStatus.Published).Select(a => a.Version).ToListAsync(ct);
            var stamp = Convert.ToHexString(SHA256.HashData(versions.Order().SelectMany(v => v.ToByteArray()).ToArray()));
            (stale, checkedAt) = (false, now);
            if (current?.Stamp == stamp)
            {
                return current;
            }

            var articles = await db.Articles.AsNoTracking().Where(a => a.Status == ArticleStatus.Published)
                .Select(a => new IndexedArticle(a.Id, a.Title, a.Slug, a.Tags, a.Body)).ToListAsync(ct);
            // The old index is left to the collector, not disposed: a question may still be searching it (it is all in memory).
            var built = Build(stamp, articles);
            current = built;
            return built;
        }
        finally
        {
            gate.Release();
        }
    }

    public sealed record IndexedArticle(Guid Id, string Title, string Slug, string Tags, string Body);

    /// <summary>Indexes the articles' passages in memory (also what the benchmark times against a bare Lucene.Net index).</summary>
    public static Snapshot Build(string stamp, IReadOnlyList<IndexedArticle> articles)
    {
        var directory = new RAMDirectory();
        using var analyzer = NewAnalyzer();
        var known = new Dictionary<string, (string Title, string Slug, HashSet<string> Words)>();
        using (var writer = new IndexWriter(directory, new IndexWriterConfig(LuceneVersion.LUCENE_48, analyzer) { Similarity = new BM25Similarity() }))
        {
            foreach (var article in articles)
            {
                var id = article.Id.ToString("N");
                var tags = article.Tags.Replace(',', ' ');
                known[id] = (article.Title, article.Slug, Words(analyzer, $"{article.Title} {tags} {Markdown.ToPlainText(article.Body)}"));
                foreach (var passage in Passages(article.Body))
                {
                    writer.AddDocument(new Document
                    {
                        new StringField("article", id, Field.Store.YES),
                        new StoredField("passage", passage),
                        new TextField("title", article.Title, Field.Store.NO),
                        new TextField("tags", tags, Field.Store.NO),
                        new TextField("text", Markdown.ToPlainText(passage), Field.Store.NO),
                    });
                }
            }

            writer.Commit();
        }

        return new Snapshot(stamp, DirectoryReader.Open(directory), known);
    }

    /// <summary>Consecutive paragraphs up to about 600 characters; a paragraph that introduces a list (ends with a colon) stays with it.</summary>
    internal static IEnumerable<string> Passages(string markdown)
    {
        var passage = "";
        foreach (var paragraph in markdown.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (passage.Length > 0 && passage.Length + paragraph.Length > 600 && !passage.TrimEnd().EndsWith(':'))
            {
                yield return passage;
                passage = "";
            }

            passage = passage.Length == 0 ? paragraph : $"{passage}\n\n{paragraph}";
        }

        if (passage.Length > 0)
        {
            yield return passage;
        }
    }

    public static HashSet<string> Words(Analyzer analyzer, string text)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        using var stream = analyzer.GetTokenStream("text", new StringReader(text));
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            words.Add(term.ToString());
        }

        stream.End();
        return words;
    }

    /// <summary>
    /// The articles for a question, best first, each with its best passage: every analysed word of the question is
    /// looked up in the title (weight 3), the tags (2) and the passage's text (1), scored by BM25; an article ranks by its best passage.
    /// </summary>
    public static IReadOnlyList<(string ArticleId, string Passage, float Score)> Rank(Snapshot index, IReadOnlyCollection<string> words, int articles = 5)
    {
        if (words.Count == 0)
        {
            return [];
        }

        var query = new BooleanQuery();
        foreach (var word in words)
        {
            query.Add(new TermQuery(new Term("title", word)) { Boost = 3f }, Occur.SHOULD);
            query.Add(new TermQuery(new Term("tags", word)) { Boost = 2f }, Occur.SHOULD);
            query.Add(new TermQuery(new Term("text", word)), Occur.SHOULD);
        }

        var ranked = new List<(string, string, float)>();
        foreach (var hit in index.Searcher.Search(query, 50).ScoreDocs)
        {
            var document = index.Searcher.Doc(hit.Doc);
            var article = document.Get("article");
            if (ranked.All(r => r.Item1 != article))
            {
                ranked.Add((article, document.Get("passage"), hit.Score));
                if (ranked.Count == articles)
                {
                    break;
                }
            }
        }

        return ranked;
    }

    public void Dispose()
    {
        current?.Dispose();
        gate.Dispose();
    }
}

/// <summary>
/// The help centre's assistant: answers a visitor from published articles only (no outside service), says when it
/// does not know (its confidence, the share of the question's words the best article contains, under
/// <c>Assistant:MinConfidence</c>, 0.5 by default), and hands over to a person as a ticket (channel Portal) holding
/// the conversation. Every exchange is kept; a question with no good article also lands in the feedback inbox,
/// where the themes group it. A language model could take the answer's wording from the same passages: the seam is
/// <see cref="AskAsync"/>, which only needs the ranked passages.
/// </summary>
public sealed class Assistant(IDbContextFactory<PsmDb> dbs, AssistantIndex index, TimeProvider time, IConfiguration config)
{
    public const string NotKnown = "I could not find an article that answers this. You can ask in other words, or talk to a person.";

    /// <summary>Chosen on the labelled set (docs/benchmarks.md): at 0.5 the assistant answers about 70 % of the questions and is right in about 97 % of those.</summary>
    public const double DefaultMinConfidence = 0.5;

    public double MinConfidence => config.GetValue("Assistant:MinConfidence", DefaultMinConfidence);

    /// <summary>Null when the conversation token names no conversation.</summary>
    public async Task<AssistantAnswer?> AskAsync(AssistantQuestionInput input, string visitorKey, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        AssistantConversation? conversation = null;
        if (!string.IsNullOrEmpty(input.Conversation))
        {
            conversation = await db.AssistantConversations.SingleOrDefaultAsync(c => c.Token == input.Conversation, ct);
            if (conversation is null)
            {
                return null;
            }
        }

        if (conversation is null)
        {
            conversation = new AssistantConversation { Token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), VisitorKey = visitorKey, StartedAt = now };
            db.AssistantConversations.Add(conversation);
        }

        conversation.LastAt = now;
        var question = input.Question.Trim();
        var snapshot = await index.GetAsync(ct);
        using var analyzer = AssistantIndex.NewAnalyzer();
        var words = AssistantIndex.Words(analyzer, question);
        var ranked = AssistantIndex.Rank(snapshot, words, 3);
        var confidence = Confidence(snapshot, words, ranked);
        var answered = confidence >= MinConfidence;
        var exchange = new AssistantExchange
        {
            ConversationId = conversation.Id, Question = question, Confidence = confidence, Answered = answered, At = now,
            ArticleId = ranked.Count == 0 ? null : Guid.ParseExact(ranked[0].ArticleId, "N"), Passage = ranked.Count == 0 ? "" : Clip(ranked[0].Passage, 4000),
        };
        if (!answered)
        {
            // A question PSM could not answer is demand for an article (or a product change): the inbox and its themes see it.
            var item = Feedback.FeedbackItem.Arrived(question, Feedback.FeedbackChannel.HelpCentre, now, await Feedback.FeedbackInbox.MatcherAsync(db, ct), now);
            item.SourceRef = $"assistant:{exchange.Id}";
            db.Feedback.Add(item);
            exchange.FeedbackId = item.Id;
        }

        db.AssistantExchanges.Add(exchange);
        await db.SaveChangesAsync(ct);
        var sources = ranked.Select(r => new AssistantSource(snapshot.Articles[r.ArticleId].Title, snapshot.Articles[r.ArticleId].Slug)).ToList();
        return answered
            ? new AssistantAnswer(conversation.Token, true, $"From “{sources[0].Title}”:", Markdown.ToSafeHtml(ranked[0].Passage), sources, confidence)
            : new AssistantAnswer(conversation.Token, false, NotKnown, null, confidence > 0 ? sources : [], confidence);
    }

    /// <summary>The share of the question's analysed words that the best article contains (title, tags or text); 0 when nothing matched.</summary>
    public static double Confidence(AssistantIndex.Snapshot index, IReadOnlyCollection<string> words, IReadOnlyList<(string ArticleId, string Passage, float Score)> ranked) =>
        ranked.Count == 0 || words.Count == 0 ? 0 : Math.Round((double)words.Count(w => index.Articles[ranked[0].ArticleId].Words.Contains(w)) / words.Count, 2);

    /// <summary>The visitor said an answer helped.</summary>
    public async Task<bool> ResolvedAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.AssistantConversations.Where(c => c.Token == token && c.Outcome == ConversationOutcome.Open)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Outcome, ConversationOutcome.Resolved).SetProperty(c => c.LastAt, time.GetUtcNow()), ct) > 0
            || await db.AssistantConversations.AnyAsync(c => c.Token == token, ct);
    }

    /// <summary>
    /// Hands the conversation to a person: a ticket (channel Portal) whose first message is the visitor's message
    /// followed by the conversation, for the contact with the address given (or a new contact of the "Unassigned
    /// senders" customer). Null when the token names no conversation; a conversation is handed over once.
    /// </summary>
    public async Task<HandoverResult?> HandOverAsync(string token, HandoverInput input, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var conversation = await db.AssistantConversations.SingleOrDefaultAsync(c => c.Token == token, ct);
        if (conversation is null)
        {
            return null;
        }

        var email = input.Email.Trim().ToLowerInvariant();
        if (conversation.TicketId is { } existing)
        {
            return new HandoverResult($"T-{await db.Tickets.Where(t => t.Id == existing).Select(t => t.Number).SingleAsync(ct)}", email);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var exchanges = await db.AssistantExchanges.AsNoTracking().Where(e => e.ConversationId == conversation.Id).OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync(ct);
        var titles = await db.Articles.Where(a => exchanges.Select(e => e.ArticleId).Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Title, ct);
        var transcript = string.Join("\n", exchanges.Select(e =>
            $"Visitor: {e.Question}\nAssistant: {(e.Answered && e.ArticleId is { } a ? $"answered from “{titles.GetValueOrDefault(a)}”" : "did not know")}"));
        var message = string.IsNullOrWhiteSpace(input.Message) ? "" : input.Message.Trim() + "\n\n";
        var (customerId, contactId) = await ContactForAsync(db, input.Name, email, now, ct);

        var first = exchanges.FirstOrDefault()?.Question ?? "Help-centre question";
        var (ticket, _) = await Tickets.OpenAsync(db, new TicketInput
        {
            Subject = Clip(first, 300), Description = Clip($"{message}From the help centre's assistant:\n{transcript}", 20_000), CustomerId = customerId, ContactId = contactId,
            ProductId = exchanges.Where(e => e.ArticleId != null).Select(e => e.ArticleId).LastOrDefault() is { } article
                ? await db.Articles.Where(a => a.Id == article).Select(a => a.ProductId).SingleAsync(ct) : null,
            Channel = TicketChannel.Portal, Priority = TicketPriority.Normal,
        }, input.Name.Trim(), now, ct);
        (conversation.TicketId, conversation.Outcome, conversation.LastAt) = (ticket.Id, ConversationOutcome.HandedOver, now);
        await Tickets.SaveNumberedAsync(db, ticket, ct);
        await transaction.CommitAsync(ct);
        return new HandoverResult($"T-{ticket.Number}", email);
    }

    /// <summary>
    /// The contact a visitor who gave their address writes as: the one with that address, else a new contact of the
    /// "Unassigned senders" customer (created once), saved at once so a ticket can name it.
    /// </summary>
    internal static async Task<(Guid CustomerId, Guid ContactId)> ContactForAsync(PsmDb db, string name, string email, DateTimeOffset now, CancellationToken ct)
    {
        email = email.Trim().ToLowerInvariant();
        var contact = await db.CustomerContacts.Where(c => c.Email == email).OrderBy(c => c.Id).Select(c => new { c.Id, c.CustomerId }).FirstOrDefaultAsync(ct);
        if (contact is not null)
        {
            return (contact.CustomerId, contact.Id);
        }

        var unassigned = await db.Customers.Where(c => c.ExternalRef == Mail.MailIngest.UnassignedSendersRef).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        if (unassigned is null)
        {
            var created = new Customer { Name = "Unassigned senders", Email = "", ExternalRef = Mail.MailIngest.UnassignedSendersRef, CreatedAt = now };
            db.Customers.Add(created);
            unassigned = created.Id;
        }

        var visitor = new CustomerContact { CustomerId = unassigned.Value, Name = Clip(name.Trim(), 200), Email = Clip(email, 256) };
        db.CustomerContacts.Add(visitor);
        await db.SaveChangesAsync(ct);
        return (unassigned.Value, visitor.Id);
    }

    /// <summary>A conversation as its visitor sees it (the token is the key): each question with the answer given, how it ended, and the request it became.</summary>
    public async Task<ConversationView?> ConversationAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var conversation = await db.AssistantConversations.AsNoTracking().SingleOrDefaultAsync(c => c.Token == token, ct);
        if (conversation is null)
        {
            return null;
        }

        var exchanges = await db.AssistantExchanges.AsNoTracking().Where(e => e.ConversationId == conversation.Id).OrderBy(e => e.At).ThenBy(e => e.Id)
            .Select(e => new { e.Question, e.Answered, e.Passage, Article = db.Articles.Where(a => a.Id == e.ArticleId).Select(a => new { a.Title, a.Slug }).FirstOrDefault() })
            .ToListAsync(ct);
        var ticket = conversation.TicketId is { } id
            ? await db.Tickets.Where(t => t.Id == id).Select(t => new { t.Number, Email = db.CustomerContacts.Where(c => c.Id == t.ContactId).Select(c => c.Email).FirstOrDefault() }).SingleOrDefaultAsync(ct)
            : null;
        return new ConversationView(conversation.Token, conversation.Outcome, ticket is null ? null : $"T-{ticket.Number}", ticket?.Email,
            exchanges.Select(e => new ConversationTurn(e.Question, e.Answered, e.Answered && e.Article is not null ? $"From “{e.Article.Title}”:" : NotKnown,
                e.Answered ? Markdown.ToSafeHtml(e.Passage) : null, e.Article is null ? null : new AssistantSource(e.Article.Title, e.Article.Slug))).ToList());
    }

    /// <summary>The latest questions (unanswered ones only, if asked), for the help-centre page.</summary>
    public async Task<IReadOnlyList<AssistantQuestionDto>> QuestionsAsync(bool unansweredOnly, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var exchanges = db.AssistantExchanges.AsNoTracking();
        if (unansweredOnly)
        {
            exchanges = exchanges.Where(e => !e.Answered);
        }

        return await exchanges.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(200)
            .Select(e => new AssistantQuestionDto(e.Id, e.Question, e.Answered, e.Confidence, db.Articles.Where(a => a.Id == e.ArticleId).Select(a => a.Title).FirstOrDefault(),
                db.AssistantConversations.Where(c => c.Id == e.ConversationId).Select(c => c.Outcome).Single(), e.At))
            .ToListAsync(ct);
    }

    internal static string Clip(string text, int max) => text.Length <= max ? text : text[..max];
}
