using Psm.Web.Features.Catalog;
using Psm.Web.Features.HelpCentre;

namespace Psm.Web.Data.Demo;

public sealed record DemoHelpCentre(HelpCentreSettings Settings, IReadOnlyList<Article> Articles, IReadOnlyList<ArticleRevision> Revisions, IReadOnlyList<ArticleViews> Views, IReadOnlyList<ArticleVote> Votes);

public sealed partial class DemoData
{
    private sealed record DemoArticle(string Product, string? Service, string Title, string Tags, string Body, ArticleStatus Status = ArticleStatus.Published);

    /// <summary>Northwind's help centre: articles for each live product, written by support and product people over the past year, with daily views and votes.</summary>
    private static readonly DemoArticle[] HelpArticles =
    [
        new("Northwind Helpdesk", null, "Set up your first shared inbox", "inbox,setup,email",
            "A shared inbox turns mail sent to an address such as support@yourcompany.com into tickets your team works together.\n\n1. Go to **Settings › Channels › E-mail** and choose **Add inbox**.\n2. Enter the address and forward its mail to the address Helpdesk shows you.\n3. Send a test message: it appears as a ticket within a minute.\n\nReplies go out from the same address, so customers never see your agents' own mailboxes."),
        new("Northwind Helpdesk", null, "Forwarded mail does not arrive as tickets", "inbox,forwarding,troubleshooting,email",
            "If test messages never become tickets, the forwarding rule is usually the cause.\n\n- Check that your mail provider forwards **all** messages, not only those from your domain.\n- Make sure the forwarding target is the exact address shown under **Settings › Channels › E-mail**.\n- Look in the inbox's **Rejected** tab: messages over 25 MB or from blocked senders are listed there with the reason.\n\nStill stuck? Send us the headers of one test message."),
        new("Northwind Helpdesk", null, "Create SLA policies for your plans", "sla,policies,priority",
            "SLA policies set first-response and resolution targets per priority, and optionally per customer plan.\n\n| Priority | First response | Resolution |\n|---|---|---|\n| Urgent | 1 hour | 8 hours |\n| High | 4 hours | 2 days |\n| Normal | 8 hours | 5 days |\n\nTargets count business hours only, from the calendar you attach. A policy naming a plan wins over the general one."),
        new("Northwind Helpdesk", null, "Why a ticket's SLA clock paused", "sla,pending,clock",
            "The resolution clock stops while a ticket is **Pending on customer** and starts again when they answer.\n\nThe first-response target never pauses. If a ticket was already overdue when it was set to pending, it stays overdue: pausing cannot hide a breach. The ticket's timeline shows every pause with its start and end."),
        new("Northwind Helpdesk", null, "Route tickets to teams automatically", "routing,teams,assignment",
            "Routing rules send new tickets to a team by channel, product or keyword.\n\n1. Open **Settings › Routing** and add a rule.\n2. Choose the condition, for example *subject contains* `invoice`.\n3. Pick the team. Within the team, tickets go round-robin to available agents.\n\nRules run top to bottom; the first match wins. Drag rules to reorder them."),
        new("Northwind Helpdesk", null, "Set an agent as away", "agents,availability,routing",
            "Agents who are away receive no new tickets by round-robin. Set your own status from your avatar menu, or a lead can set it on **Teams**.\n\nOpen tickets stay assigned while you are away. A lead can move them in bulk from the queue with **Reassign**."),
        new("Northwind Helpdesk", null, "Macros: answer common questions in one click", "macros,replies,productivity",
            "A macro fills in a reply and can change status, priority and tags at the same time.\n\nCreate one under **Settings › Macros**. Use placeholders such as `{{customer.name}}` and `{{ticket.key}}`. Agents apply macros from the reply box with the lightning icon; they can edit the text before sending."),
        new("Northwind Helpdesk", null, "Merge duplicate tickets", "tickets,merge,duplicates",
            "When a customer writes twice about the same problem, merge the tickets so the conversation stays in one place.\n\nSelect both tickets in the queue and choose **Merge**. The older ticket is kept; the newer one's messages move into it and the newer ticket is closed with a link. Merging cannot be undone."),
        new("Northwind Helpdesk", "Helpdesk Subscription", "Change your plan or number of seats", "billing,plan,seats,subscription",
            "Account owners change the plan under **Settings › Billing**.\n\n- Adding seats takes effect at once; you pay the difference for the rest of the period.\n- Removing seats takes effect at the next renewal.\n- Moving to a smaller plan keeps your data; features the smaller plan lacks become read-only.\n\nInvoices are e-mailed to the billing contact on the first day of each period."),
        new("Northwind Helpdesk", "Helpdesk Subscription", "Download invoices and update billing details", "billing,invoices,vat",
            "All invoices since you started are under **Settings › Billing › Invoices** as PDF.\n\nTo change the company name, address or VAT number on future invoices, edit **Billing details**. Invoices already issued cannot be changed; ask us for a credit note and a corrected invoice if one was wrong."),
        new("Northwind Helpdesk", "Premium Support", "What Premium Support includes", "premium,support,response times",
            "Premium Support adds a named support engineer, a one-hour first response on urgent issues around the clock, and a quarterly review of your setup.\n\nOpen urgent issues by phone or by writing with priority **Urgent**. Your engineer joins your quarterly review with figures on ticket volume, response times and trends."),
        new("Northwind Helpdesk", "Helpdesk Onboarding", "Your onboarding plan, week by week", "onboarding,setup,training",
            "Onboarding takes four weeks.\n\n1. **Week 1**: inboxes, teams and business hours.\n2. **Week 2**: SLA policies, routing rules and macros.\n3. **Week 3**: import of your old tickets and customers.\n4. **Week 4**: go-live, with your onboarding manager watching the first days.\n\nEach week ends with a call and a checklist."),
        new("Northwind Helpdesk", "Helpdesk Onboarding", "Import tickets from your old help desk", "import,migration,csv",
            "Export your old tickets as CSV with at least: subject, description, customer e-mail, created date and status.\n\nUpload the file under **Settings › Import**. Helpdesk checks every row first and shows the rows it cannot take, with the reason, before anything is imported. An import applies whole or not at all."),
        new("Northwind Helpdesk", "Admin Training", "Admin training: book a session", "training,admins,sessions",
            "Admin Training is a two-hour live session for up to eight people, covering channels, SLAs, routing, reporting and user roles.\n\nBook a date from **Help › Training**. You receive the recording and the slides afterwards. Sessions run in English and German."),
        new("Northwind Helpdesk", null, "Reset a user's password or two-step sign-in", "users,password,security,mfa",
            "Admins reset passwords from **Settings › Users**: choose the user and **Send reset link**. The link works once and expires after 24 hours.\n\nIf someone lost the phone with their authenticator app, an admin can **Reset two-step sign-in**; the user sets it up again at their next sign-in."),
        new("Northwind Analytics", null, "Connect a data source", "data sources,connectors,setup",
            "Analytics reads from PostgreSQL, MySQL, SQL Server, BigQuery and CSV uploads.\n\n1. Open **Data › Sources** and choose **Add source**.\n2. Enter the connection details. Use a read-only database user.\n3. Choose the tables to sync and how often.\n\nThe first sync runs at once; its progress shows next to the source."),
        new("Northwind Analytics", null, "A data sync failed: what to check", "sync,errors,troubleshooting,data sources",
            "Each failed sync shows the database's error next to the source.\n\n- **Authentication failed**: the password changed; update it on the source.\n- **Timeout**: the table is large; sync it incrementally by choosing an updated-at column.\n- **Permission denied**: the user lacks SELECT on a table you picked.\n\nA failed sync keeps the last good data, so dashboards stay readable."),
        new("Northwind Analytics", null, "Build your first dashboard", "dashboards,charts,getting started",
            "Dashboards are made of charts, each over one dataset.\n\n1. Choose **New dashboard** and give it a name.\n2. Add a chart: pick the dataset, a measure (such as *sum of revenue*) and a dimension (such as *month*).\n3. Add filters that apply to every chart, such as region.\n\nShare a dashboard with teammates or by a read-only link."),
        new("Northwind Analytics", null, "Schedule a report by e-mail", "reports,schedule,email,export",
            "Any dashboard can be e-mailed as PDF on a schedule.\n\nOpen the dashboard, choose **Share › Schedule**, pick the recipients, the day and the time. Recipients need no Analytics account. Filters are applied as saved when the report is sent."),
        new("Northwind Analytics", null, "Dashboard loads slowly", "performance,dashboards,troubleshooting",
            "Slow dashboards usually query too many rows.\n\n- Add a date filter so charts read the last months only.\n- Turn on **Cached results** for datasets that change once a day.\n- Split a dashboard with more than twenty charts into two.\n\nThe chart menu's **Query details** shows how long each query took."),
        new("Northwind Analytics", null, "Export chart data to CSV or Excel", "export,csv,excel,charts",
            "Every chart's menu has **Export data**: CSV keeps full precision, Excel keeps formatting. Exports contain the rows behind the chart with the dashboard's filters applied. Exports over one million rows are e-mailed as a download link instead."),
        new("Northwind Analytics", "Analytics Subscription", "Analytics plans and row limits", "plans,limits,billing,subscription",
            "Each Analytics plan includes a number of synced rows per month: Starter 5 million, Team 50 million, Business 500 million.\n\nWhen you reach 80 % of the limit, account owners get an e-mail. Syncs pause at the limit until the next month or an upgrade; dashboards keep working on the data already synced."),
        new("Northwind Analytics", "Data Onboarding", "What to prepare for Data Onboarding", "onboarding,data,preparation",
            "Before your first onboarding call, prepare:\n\n- read-only credentials for the databases to connect;\n- the three questions your team most wants answered;\n- a list of people who will build dashboards.\n\nYour onboarding specialist builds the first dashboard with you in the second call."),
        new("Northwind Analytics", "Implementation Consulting", "How Implementation Consulting works", "consulting,implementation,projects",
            "Implementation Consulting is for data models spanning several sources. A consultant maps your sources, designs the shared datasets and documents them.\n\nProjects are quoted in days after a free scoping call. You get a written design, the datasets in your account and a handover session."),
        new("Northwind Field Service", null, "Dispatch a job to a technician", "dispatch,jobs,scheduling",
            "Create a job from **Jobs › New**, with the customer's address, the work to do and the time window.\n\nDrag the job onto a technician on the dispatch board. The technician's app shows it at once with directions. Jobs that do not fit a technician's day are flagged in red."),
        new("Northwind Field Service", null, "The mobile app does not sync", "mobile,offline,sync,troubleshooting",
            "The app works offline and syncs when the phone is back online.\n\n- Pull down on the job list to force a sync.\n- Check that the phone's date and time are set automatically.\n- Make sure the app may use mobile data in the phone's settings.\n\nVisit reports written offline are never lost: they wait on the phone until the sync succeeds."),
        new("Northwind Field Service", null, "Track parts used on a visit", "parts,inventory,visits",
            "Technicians add parts from the visit screen by scanning a barcode or searching. Parts used are taken from the van's stock and added to the visit report.\n\nWhen a van's stock of a part falls below its minimum, the warehouse gets a restock request."),
        new("Northwind Field Service", null, "Get a signature on a visit report", "visit report,signature,customers",
            "At the end of a visit, choose **Finish visit**. The report shows the work done and the parts used; the customer signs on the phone's screen.\n\nThe signed report is e-mailed to the customer as PDF and attached to the job."),
        new("Northwind Field Service", "Pilot Onboarding", "Joining the Field Service early-access pilot", "pilot,early access,onboarding",
            "The pilot runs for three months with up to 20 technicians per customer. We set up your account, import your technicians and customers, and hold a weekly feedback call.\n\nPilot customers keep their data when they move to a paid plan."),
        new("Northwind Field Service", "Field Support", "Report a problem from the mobile app", "support,mobile,bug report",
            "In the app, open **Menu › Report a problem**. Describe what happened; the app attaches its log and the phone model. The report opens a ticket with Field Support, and the answer arrives by e-mail and in the app."),
        new("Northwind Legacy CRM", null, "Legacy CRM end of support timeline", "end of life,support,timeline",
            "Legacy CRM is in its final phase. Security fixes continue until the end of next year; no new features are planned.\n\nWe recommend moving to Northwind Helpdesk with Migration Consulting. Your data stays available read-only for twelve months after you move."),
        new("Northwind Legacy CRM", "CRM Maintenance", "Install a Legacy CRM maintenance update", "updates,maintenance,install",
            "Maintenance updates arrive as installers on the customer portal.\n\n1. Back up the CRM database.\n2. Stop the CRM service on the server.\n3. Run the installer as an administrator.\n4. Start the service and sign in to check the version under **Help › About**.\n\nUpdates must be installed in order; the portal lists which ones you miss."),
        new("Northwind Legacy CRM", "Migration Consulting", "Move from Legacy CRM to Helpdesk", "migration,helpdesk,consulting",
            "Migration Consulting moves contacts, accounts, open cases and their history from Legacy CRM to Helpdesk.\n\nA migration takes three to six weeks: a test migration, a review with your team, then the final move over a weekend. Custom fields are mapped with you before the test."),
        new("Northwind Legacy CRM", null, "Legacy CRM reports show old figures", "reports,cache,troubleshooting",
            "Legacy CRM rebuilds its report cache every night at 02:00 server time. To see today's figures, open **Reports › Rebuild now**; large databases take up to an hour.\n\nIf the nightly rebuild fails, the CRM's event log names the report that stopped it.", ArticleStatus.Draft),
    ];

    public DemoHelpCentre HelpCentre(DateTimeOffset now, IReadOnlyList<Product> products)
    {
        var rng = new Random(seed + 11);
        var authors = new[] { "Lena Lead", "Sam Support", "Priya Patel" };
        var articles = new List<Article>();
        var revisions = new List<ArticleRevision>();
        var views = new List<ArticleViews>();
        var votes = new List<ArticleVote>();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        foreach (var demo in HelpArticles)
        {
            var product = products.Single(p => p.Name == demo.Product);
            var service = demo.Service is null ? null : product.Services.Single(s => s.Name == demo.Service);
            var created = now.AddDays(-rng.Next(40, 330)).AddMinutes(-rng.Next(0, 600));
            var article = new Article
            {
                Id = DeterministicId(rng, created), Version = DeterministicId(rng, created), Title = demo.Title, Body = demo.Body, Tags = demo.Tags, Status = demo.Status,
                ProductId = product.Id, ServiceId = service?.Id, CreatedAt = created, Author = authors[rng.Next(authors.Length)],
                Slug = string.Join('-', demo.Title.ToLowerInvariant().Split([' ', ',', ':', '\'', '?', '.'], StringSplitOptions.RemoveEmptyEntries)),
            };
            // Some articles were revised since; the last revision is the current text.
            var edits = rng.Next(1, 4);
            var at = created;
            for (var number = 1; number <= edits; number++)
            {
                at = number == 1 ? created : new[] { at.AddDays(rng.Next(5, 30)), now.AddDays(-1) }.Min() is var next && next > at ? next : at.AddMinutes(30);
                revisions.Add(new ArticleRevision
                {
                    Id = DeterministicId(rng, at), ArticleId = article.Id, Number = number, Title = demo.Title, Author = number == 1 ? article.Author : authors[rng.Next(authors.Length)],
                    Body = number == edits ? demo.Body : demo.Body.Split("\n\n")[0], Tags = demo.Tags, At = at,
                });
            }

            (article.Revision, article.Author, article.UpdatedAt) = (edits, revisions[^1].Author, revisions[^1].At);
            article.ReviewedAt = article.UpdatedAt.AddDays(rng.Next(0, 20)) is var reviewed && reviewed < now ? reviewed : article.UpdatedAt;
            if (demo.Status == ArticleStatus.Published)
            {
                article.PublishedAt = created.AddHours(rng.Next(1, 48));
                // Daily views since publication for the last 90 days: a few a day, more for billing and troubleshooting.
                var popular = demo.Tags.Contains("troubleshooting") || demo.Tags.Contains("billing") ? 3 : 1;
                for (var day = DateOnly.FromDateTime(article.PublishedAt.Value.UtcDateTime).AddDays(1); day < today; day = day.AddDays(1))
                {
                    if (day < today.AddDays(-90) || rng.NextDouble() < 0.35)
                    {
                        continue;
                    }

                    views.Add(new ArticleViews { ArticleId = article.Id, Day = day, Views = rng.Next(1, 4) * popular });
                }

                var helpfulShare = demo.Tags.Contains("troubleshooting") ? 0.62 : 0.82;
                var since = new[] { article.PublishedAt.Value, now.AddDays(-85) }.Max();
                for (var v = rng.Next(3, 14); v > 0; v--)
                {
                    var votedAt = since.AddMinutes(rng.NextDouble() * (now - since).TotalMinutes * 0.98);
                    votes.Add(new ArticleVote { Id = DeterministicId(rng, votedAt), ArticleId = article.Id, Helpful = rng.NextDouble() < helpfulShare, At = votedAt });
                }
            }

            articles.Add(article);
        }

        var settings = new HelpCentreSettings { CompanyName = CompanyName, AccentColour = "#0f5d8c", Welcome = "Answers about Helpdesk, Analytics and Field Service, written by our support team." };
        return new DemoHelpCentre(settings, articles, revisions, views, votes);
    }

    /// <summary>What visitors asked the assistant over the last eight weeks, answered as the assistant answers them (the same index and confidence).</summary>
    private static readonly string[] AssistantQuestions =
    [
        "how do I add more seats", "sync says authentication failed", "where are our invoices", "technician app not syncing",
        "set up routing by keyword", "my dashboard is really slow", "how long does onboarding take", "customer needs to sign the report",
        "when does Legacy CRM support end", "export chart to excel", "merge two tickets", "what does premium support include",
        "can I white-label the customer portal", "do you integrate with SAP", "api rate limits for webhooks", "how do I delete my account",
    ];

    public (IReadOnlyList<AssistantConversation> Conversations, IReadOnlyList<AssistantExchange> Exchanges, IReadOnlyList<Features.Feedback.FeedbackItem> Feedback) AssistantHistory(
        DateTimeOffset now, IReadOnlyList<Article> articles, IReadOnlyList<Features.Feedback.Theme> themes)
    {
        var rng = new Random(seed + 12);
        var published = articles.Where(a => a.Status == ArticleStatus.Published).ToList();
        using var index = AssistantIndex.Build("demo", published.Select(a => new AssistantIndex.IndexedArticle(a.Id, a.Title, a.Slug, a.Tags, a.Body)).ToList());
        using var analyzer = AssistantIndex.NewAnalyzer();
        var matcher = new Features.Feedback.ThemeMatcher(themes.Select(t => (t.Id, t.Keywords)));
        var conversations = new List<AssistantConversation>();
        var exchanges = new List<AssistantExchange>();
        var feedback = new List<Features.Feedback.FeedbackItem>();
        for (var i = 0; i < 40; i++)
        {
            var at = now.AddDays(-rng.Next(1, 56)).AddMinutes(-rng.Next(0, 1440));
            var question = AssistantQuestions[rng.Next(AssistantQuestions.Length)];
            var words = AssistantIndex.Words(analyzer, question);
            var ranked = AssistantIndex.Rank(index, words, 3);
            var confidence = Assistant.Confidence(index, words, ranked);
            var answered = confidence >= Assistant.DefaultMinConfidence;
            var conversation = new AssistantConversation
            {
                Id = DeterministicId(rng, at), Token = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), VisitorKey = $"demo{rng.Next(0, 30):D2}".PadRight(32, '0'),
                StartedAt = at, LastAt = at.AddMinutes(1), Outcome = answered && rng.NextDouble() < 0.6 ? ConversationOutcome.Resolved : ConversationOutcome.Open,
            };
            var exchange = new AssistantExchange
            {
                Id = DeterministicId(rng, at), ConversationId = conversation.Id, Question = question, Confidence = confidence, Answered = answered, At = at,
                ArticleId = ranked.Count == 0 ? null : Guid.ParseExact(ranked[0].ArticleId, "N"), Passage = ranked.Count == 0 ? "" : ranked[0].Passage,
            };
            if (!answered)
            {
                var item = Features.Feedback.FeedbackItem.Arrived(question, Features.Feedback.FeedbackChannel.HelpCentre, at, matcher, at, DeterministicId(rng, at));
                item.SourceRef = $"assistant:{exchange.Id}";
                feedback.Add(item);
                exchange.FeedbackId = item.Id;
            }

            conversations.Add(conversation);
            exchanges.Add(exchange);
        }

        return (conversations, exchanges, feedback);
    }
}
