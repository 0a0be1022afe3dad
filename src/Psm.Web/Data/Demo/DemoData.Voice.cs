using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;

namespace Psm.Web.Data.Demo;

/// <summary>The voice of the customer: personas, consent history, segments, themes, feedback and a year of survey answers.</summary>
public sealed partial class DemoData
{
    private static readonly Guid[] PersonaIds =
    [
        Guid.Parse("0195f000-0000-7000-8000-000000000001"), Guid.Parse("0195f000-0000-7000-8000-000000000002"),
        Guid.Parse("0195f000-0000-7000-8000-000000000003"), Guid.Parse("0195f000-0000-7000-8000-000000000004"),
    ];

    public sealed record VoiceOfCustomer(
        IReadOnlyList<Persona> Personas, IReadOnlyList<ConsentEvent> Consent, IReadOnlyList<Segment> Segments, IReadOnlyList<Theme> Themes,
        IReadOnlyList<FeedbackItem> Feedback, IReadOnlyList<Survey> Surveys, IReadOnlyList<SurveyResponse> Responses, IReadOnlyList<Evidence> Evidence,
        IReadOnlyList<JourneyMap> Journeys);

    public static IReadOnlyList<Persona> Personas(DateTimeOffset now) =>
    [
        new() { Id = PersonaIds[0], Name = "Sam, support team lead", CreatedAt = now.AddYears(-1),
            Description = "Runs a team of eight agents at a mid-sized retailer.", Goals = "Hit SLAs without burning the team out.",
            Frustrations = "Tickets bounce between queues; reports take an afternoon.", Says = "Just tell me what is about to breach.",
            Thinks = "If the tool were smarter I could coach instead of firefight.", Does = "Reassigns tickets by hand every morning.",
            Feels = "Stretched, protective of the team." },
        new() { Id = PersonaIds[1], Name = "Priya, operations analyst", CreatedAt = now.AddYears(-1),
            Description = "Builds the weekly numbers for leadership.", Goals = "Trustworthy figures without spreadsheets.",
            Frustrations = "Exports that do not match the screen.", Says = "Where does this number come from?",
            Thinks = "One wrong figure and nobody trusts the dashboard.", Does = "Cross-checks every export.", Feels = "Careful, slightly sceptical." },
        new() { Id = PersonaIds[2], Name = "Marco, field technician", CreatedAt = now.AddYears(-1),
            Description = "Visits customer sites all day with a phone and a van.", Goals = "Close the job on site, first time.",
            Frustrations = "No signal in basements; the app forgets his notes.", Says = "It has to work offline.",
            Thinks = "Paperwork is not the job.", Does = "Writes notes on paper and types them up at night.", Feels = "Impatient with tools." },
        new() { Id = PersonaIds[3], Name = "Dana, finance buyer", CreatedAt = now.AddYears(-1),
            Description = "Signs the contract and pays the invoices.", Goals = "Predictable cost, clean invoices.",
            Frustrations = "Surprise charges, invoices that need a call to understand.", Says = "What exactly am I paying for?",
            Thinks = "Switching is expensive, but so is confusion.", Does = "Reviews every renewal line by line.", Feels = "Cautious." },
    ];

    /// <summary>Consent history that ends in each customer's current state; some customers withdrew, some were never asked.</summary>
    public IReadOnlyList<ConsentEvent> ConsentHistory(IReadOnlyList<Customer> customers, DateTimeOffset now)
    {
        var rng = new Random(seed + 5);
        var events = new List<ConsentEvent>();
        foreach (var c in customers)
        {
            var signup = c.CreatedAt.AddMinutes(5);
            foreach (var (purpose, granted) in new[] { (ConsentPurpose.Profiling, c.ProfilingConsent), (ConsentPurpose.Marketing, c.MarketingConsent) })
            {
                var roll = rng.Next(3);
                if (granted || roll == 0)
                {
                    events.Add(new ConsentEvent { Id = DeterministicId(rng, signup), CustomerId = c.Id, Purpose = purpose, Granted = true, At = signup,
                        Source = "signup form", RecordedBy = "system" });
                }

                if (!granted && roll == 0)
                {
                    var at = signup.AddDays(rng.Next(30, Math.Max(31, (int)(now - signup).TotalDays)));
                    events.Add(new ConsentEvent { Id = DeterministicId(rng, at), CustomerId = c.Id, Purpose = purpose, Granted = false, At = at,
                        Source = "email to privacy@", RecordedBy = "agent@northwind.test" });
                }
            }
        }

        // Survey consent: asked at signup since the survey programme began, so only granted ones are on record (a draw of its own keeps the other histories as they were).
        var surveys = new Random(seed + 6);
        foreach (var c in customers.Where(c => c.SurveyConsent))
        {
            var at = c.CreatedAt.AddMinutes(5);
            events.Add(new ConsentEvent { Id = DeterministicId(surveys, at), CustomerId = c.Id, Purpose = ConsentPurpose.Surveys, Granted = true, At = at,
                Source = "signup form", RecordedBy = "system" });
        }

        return events;
    }

    private static readonly (string Name, string Description, string Keywords)[] ThemeSeeds =
    [
        ("Billing", "Invoices, charges and payment", "invoic*\nbilling\ncharge*\npayment\nrefund"),
        ("Performance", "Speed and reliability", "slow\nlag*\ntimeout*\ncrash*\nloading"),
        ("Mobile app", "The phone apps", "mobile\nphone\napp store\noffline"),
        ("Onboarding", "Getting started", "onboarding\nsetup\nset up\ngetting started\ntutorial"),
        ("Support responsiveness", "How quickly support answers", "response time\nwaiting\nwaited\nno reply\nsupport team"),
        ("Reporting", "Reports, dashboards and exports", "report*\ndashboard*\nexport*"),
        ("Integrations", "Connecting other tools", "integration*\napi\nsync*\nwebhook*"),
    ];

    private static readonly (string Text, int Sentiment, string Initiative)[] FeedbackSeeds =
    [
        ("The invoice was confusing and I was charged twice this month", -2, "Billing self-service portal"),
        ("Please let me download every invoice as PDF myself", -1, "Billing self-service portal"),
        ("Refund took three weeks, really frustrating", -2, "Billing self-service portal"),
        ("Billing is much clearer since the new portal, thanks", 2, ""),
        ("The dashboard is slow to load every morning", -2, "Customer health score"),
        ("Search times out when the queue is large", -2, ""),
        ("Pages are fast and reliable now, great work", 2, ""),
        ("The mobile app loses my notes when I am offline", -2, "Field Service offline mode"),
        ("I need the phone app to work in basements without signal", -1, "Field Service offline mode"),
        ("Love the new mobile app design", 2, ""),
        ("Setup took a whole day, the onboarding tutorial skips the hard parts", -2, "Data onboarding templates"),
        ("Getting started was easy with the templates", 2, "Data onboarding templates"),
        ("Onboarding call was helpful and friendly", 2, "Analytics trial onboarding"),
        ("Waited two days for a reply from the support team", -2, "First-response routing rules"),
        ("No reply to my ticket for a week, unacceptable", -3, "First-response routing rules"),
        ("Support team answered in minutes, excellent", 3, ""),
        ("I could not find the answer in the help pages", -1, "Help centre with guided answers"),
        ("The help centre answered my question without a ticket", 2, "Help centre with guided answers"),
        ("Reports do not match the export, which one is right?", -2, "Customer health score"),
        ("Weekly report is useful for our leadership meeting", 2, ""),
        ("The API sync with our CRM breaks every few days", -2, "Legacy CRM migration assistant"),
        ("Webhook integration works well", 2, ""),
        ("Agents would like a dark theme for night shifts", 0, "Dark theme for agents"),
        ("It does what we need, nothing more", 0, ""),
        ("Alerts by text message when an SLA is about to breach would help", 0, "SLA breach alerts by SMS"),
    ];

    private static readonly (string Text, bool Positive)[] CommentSeeds =
    [
        ("Great product, the team loves it", true), ("Support is fast and friendly", true), ("Easy to use and reliable", true),
        ("Reporting saves me hours every week", true), ("Excellent onboarding, we were live in a day", true),
        ("Too slow when the queue is large", false), ("The invoice was wrong again", false), ("Waited too long for support", false),
        ("The mobile app crashes offline", false), ("Setup was confusing", false), ("Expensive for what it does", false),
        ("Fine overall", true), ("Some reports are hard to find", false),
    ];

    /// <summary>How people start and end what they write: combined with the seeds, a year of feedback reads like many voices, not a few.</summary>
    private static readonly string[] Openers =
    [
        "", "", "", "Since the last update: ", "Again this week: ", "From our {0}-person support team: ", "Quick note: ", "Honestly, ",
        "Our finance team says: ", "After {0} days of use: ", "Feedback from our Monday review: ", "One more thing: ",
    ];

    private static readonly string[] Closers =
    [
        "", "", "", " It happened {0} times this month.", " Can someone look into it?", " We have {0} users on it.", " Noticed by several colleagues.",
        " This matters for our renewal.", " Same on Chrome and Firefox.", " Ticket volume here is about {0} a day.", " Thanks for listening.",
    ];

    private static string Voiced(Random rng, string text)
    {
        string Fill(string part) => string.Format(System.Globalization.CultureInfo.InvariantCulture, part, 2 + rng.Next(60));
        var opener = Fill(Openers[rng.Next(Openers.Length)]);
        var body = opener.Length == 0 ? text : opener + char.ToLowerInvariant(text[0]) + text[1..];
        var closer = Fill(Closers[rng.Next(Closers.Length)]);
        return closer.Length == 0 ? body : body.TrimEnd('.', '!') + "." + closer;
    }

    /// <summary>A year of feedback and survey answers; NPS improves over the year, and mobile complaints surge in the last month.</summary>
    public VoiceOfCustomer Voice(
        DateTimeOffset now, IReadOnlyList<Customer> customers, IReadOnlyList<Product> products, IReadOnlyList<Initiative> initiatives)
    {
        var rng = new Random(seed + 6);
        var yearAgo = now.AddYears(-1);
        var themes = ThemeSeeds.Select(t => new Theme
        {
            Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = t.Name, Description = t.Description, Keywords = t.Keywords,
            CreatedAt = yearAgo,
        }).ToList();
        var matcher = new ThemeMatcher(themes.Select(t => (t.Id, t.Keywords)));
        var helpdesk = products.First(p => p.Name == "Northwind Helpdesk");
        var analytics = products.First(p => p.Name == "Northwind Analytics");
        var feedback = new List<FeedbackItem>();
        var evidence = new List<Evidence>();

        FeedbackItem Item(string text, FeedbackChannel channel, Customer? customer, Guid? productId, DateTimeOffset at, int? rating, string source)
        {
            var id = DeterministicId(rng, at);
            var item = FeedbackItem.Arrived(text, channel, at, matcher, now: at, id);
            item.Version = DeterministicId(rng, at);
            item.CustomerId = customer?.Id;
            item.ProductId = productId;
            item.Rating = rating;
            item.SourceRef = source;
            feedback.Add(item);
            return item;
        }

        var channels = Enum.GetValues<FeedbackChannel>().Where(c => c != FeedbackChannel.SurveyComment).ToArray();
        var count = 420 * Scale;
        for (var i = 0; i < count; i++)
        {
            var at = yearAgo.AddMinutes(rng.NextDouble() * (now - yearAgo).TotalMinutes);
            var seedItem = FeedbackSeeds[rng.Next(FeedbackSeeds.Length)];
            var customer = rng.Next(10) < 8 ? CustomerAt(rng, customers, at) : null;
            var item = Item(Voiced(rng, seedItem.Text), channels[rng.Next(channels.Length)], customer, rng.Next(3) == 0 ? analytics.Id : helpdesk.Id, at,
                null, $"demo-{i}");
            var age = (now - at).TotalDays;
            item.Status = age < 14 ? FeedbackStatus.New : rng.Next(4) == 0 ? FeedbackStatus.Closed : FeedbackStatus.Triaged;
            if (seedItem.Initiative.Length > 0 && age >= 14 && rng.Next(3) == 0
                && initiatives.FirstOrDefault(x => x.Name == seedItem.Initiative) is { } initiative)
            {
                evidence.Add(new Evidence
                {
                    FeedbackId = item.Id, InitiativeId = initiative.Id, LinkedAt = at.AddDays(7), LinkedBy = "pm@northwind.test",
                    Importance = seedItem.Sentiment <= -2 ? EvidenceImportance.Critical : seedItem.Sentiment < 0 ? EvidenceImportance.Important : EvidenceImportance.NiceToHave,
                });
                item.Status = FeedbackStatus.LinkedToInitiative;
            }
        }

        // The mobile app surge: a burst of offline complaints in the last three weeks.
        for (var i = 0; i < 30 * Scale; i++)
        {
            var at = now.AddMinutes(-rng.NextDouble() * 21 * 24 * 60);
            Item(Voiced(rng, i % 2 == 0 ? "The mobile app crashes when I go offline" : "Phone app keeps logging me out on site"), FeedbackChannel.InApp,
                CustomerAt(rng, customers, at), helpdesk.Id, at, null, $"demo-mobile-{i}");
        }

        var surveys = new List<Survey>
        {
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "Helpdesk relationship NPS", Kind = SurveyKind.Nps,
                Question = "How likely are you to recommend Northwind Helpdesk to a friend or colleague?", FollowUpQuestion = "What is the main reason for your score?",
                ProductId = helpdesk.Id, Status = SurveyStatus.Open, Wave = 4, CreatedAt = yearAgo },
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "Helpdesk quarterly CSAT pulse", Kind = SurveyKind.Csat,
                Question = "How satisfied are you with the support you received?", FollowUpQuestion = "What could we have done better?",
                ProductId = helpdesk.Id, Status = SurveyStatus.Open, Wave = 4, CreatedAt = yearAgo },
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "Analytics onboarding effort", Kind = SurveyKind.Ces,
                Question = "How easy was it to get Northwind Analytics running?", ProductId = analytics.Id, Status = SurveyStatus.Open, Wave = 4,
                CreatedAt = yearAgo },
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "Legacy CRM exit survey", Kind = SurveyKind.Nps,
                Question = "How likely are you to recommend Northwind Legacy CRM?", Status = SurveyStatus.Closed, Wave = 1,
                CreatedAt = yearAgo, ClosedAt = yearAgo.AddMonths(2) },
        };

        var responses = new List<SurveyResponse>();
        foreach (var (survey, perYear) in new[] { (surveys[0], 1400), (surveys[1], 900), (surveys[2], 400) })
        {
            var answered = new HashSet<(int Wave, Guid Customer)>();
            for (var i = 0; i < perYear * Scale; i++)
            {
                var at = yearAgo.AddMinutes(rng.NextDouble() * (now - yearAgo).TotalMinutes);
                var progress = (at - yearAgo).TotalDays / 365; // 0 a year ago, 1 today: scores drift upward
                var wave = Math.Clamp((int)(progress * 4) + 1, 1, 4);
                var u = rng.NextDouble();
                var score = survey.Kind switch
                {
                    SurveyKind.Nps => u < 0.32 - (0.18 * progress) ? rng.Next(0, 7) : u < 0.62 - (0.2 * progress) ? rng.Next(7, 9) : rng.Next(9, 11),
                    SurveyKind.Csat => u < 0.12 - (0.04 * progress) ? rng.Next(1, 3) : u < 0.3 ? 3 : rng.Next(4, 6),
                    _ => Math.Clamp((int)Math.Round(4.3 + (1.2 * progress) + (rng.NextDouble() * 3) - 1.5), 1, 7),
                };
                var customer = CustomerAt(rng, customers, at);
                Guid? customerId = customer is not null && rng.Next(10) < 4 && answered.Add((wave, customer.Id)) ? customer.Id : null;
                var response = new SurveyResponse
                {
                    Id = DeterministicId(rng, at), SurveyId = survey.Id, Wave = wave, Score = score, CustomerId = customerId,
                    Channel = customerId is null ? ResponseChannel.Web : ResponseChannel.Email, RespondedAt = at, RespondedOn = DateOnly.FromDateTime(at.UtcDateTime),
                };
                if (rng.Next(4) == 0)
                {
                    var positive = score >= SurveyScores.HighFrom(survey.Kind);
                    var options = CommentSeeds.Where(c => c.Positive == positive).ToArray();
                    response.Comment = Voiced(rng, options[rng.Next(options.Length)].Text);
                    var item = Item(response.Comment, FeedbackChannel.SurveyComment, customerId is null ? null : customer, survey.ProductId, at, score,
                        $"survey-response:{response.Id}");
                    item.Status = (now - at).TotalDays < 14 ? FeedbackStatus.New : FeedbackStatus.Triaged;
                    response.FeedbackId = item.Id;
                }

                responses.Add(response);
            }
        }

        var segments = new List<Segment>
        {
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "Enterprise accounts", CreatedAt = yearAgo,
                Description = "The largest plan, wherever they are.", Rules = new SegmentRules { Plans = ["Enterprise"] } },
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "European Pro", CreatedAt = yearAgo,
                Description = "Pro plan in Europe.", Rules = new SegmentRules { Plans = ["Pro"], Regions = ["Europe"] } },
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "High value", CreatedAt = yearAgo,
                Description = "Lifetime value of 50,000 or more.", Rules = new SegmentRules { MinLifetimeValue = 50_000 } },
            new() { Id = DeterministicId(rng, yearAgo), Version = DeterministicId(rng, yearAgo), Name = "Field teams", CreatedAt = yearAgo,
                Description = "Customers whose users work like Marco.", Rules = new SegmentRules { PersonaIds = [PersonaIds[2]] } },
        };

        var journeys = Journeys(rng, yearAgo, products, initiatives, feedback);
        return new VoiceOfCustomer(Personas(now), ConsentHistory(customers, now), segments, themes, feedback, surveys, responses, evidence, journeys);
    }

    private static IReadOnlyList<JourneyMap> Journeys(
        Random rng, DateTimeOffset at, IReadOnlyList<Product> products, IReadOnlyList<Initiative> initiatives, IReadOnlyList<FeedbackItem> feedback)
    {
        (string Stage, string Name, string Channel, int Emotion, string? Pain, string? FeedbackWith, string? Initiative)[] field =
        [
            ("Awareness", "Hears about it from the dispatcher", "in person", 0, null, null, null),
            ("Onboarding", "Installs the phone app", "app store", 1, null, null, null),
            ("Onboarding", "First login on site", "mobile", -1, "Password reset needs a laptop", null, null),
            ("Use", "Writes job notes in a basement", "mobile", -2, "The app loses notes without signal", "loses my notes", "Field Service offline mode"),
            ("Use", "Closes the job with a signature", "mobile", 1, null, null, null),
            ("Support", "Calls support about lost notes", "phone", -2, "Waits too long for an answer", "Waited two days", "First-response routing rules"),
            ("Renewal", "Team lead reviews the year", "email", 0, null, null, null),
        ];
        (string Stage, string Name, string Channel, int Emotion, string? Pain, string? FeedbackWith, string? Initiative)[] lead =
        [
            ("Awareness", "Reads a comparison article", "web", 0, null, null, null),
            ("Consideration", "Runs a two-week trial", "web", 1, null, null, null),
            ("Purchase", "Gets the first invoice", "email", -1, "The invoice is hard to read", "invoice was confusing", "Billing self-service portal"),
            ("Onboarding", "Imports old tickets", "web", 1, null, "Getting started", null),
            ("Use", "Checks what is about to breach", "web", -1, "No alert before a breach", "SLA is about to breach", "SLA breach alerts by SMS"),
            ("Support", "Asks how to set up routing", "chat", 2, null, "Support team answered", null),
            ("Renewal", "Compares the price with the value", "email", 0, null, null, null),
        ];

        (string Stage, string Name, string Channel, int Emotion, string? Pain, string? FeedbackWith, string? Initiative)[] analyst =
        [
            ("Awareness", "Sees an Analytics demo at a conference", "in person", 1, null, null, null),
            ("Consideration", "Connects a copy of last year's tickets in the trial", "web", 0, "The data import needs a developer", "onboarding tutorial", "Data onboarding templates"),
            ("Onboarding", "Builds the first leadership dashboard", "web", 1, null, "Getting started", null),
            ("Use", "Compares the dashboard with the export", "web", -2, "Figures on screen and in the export differ", "do not match the export", "Customer health score"),
            ("Use", "Presents the weekly report", "in person", 1, null, "Weekly report", null),
            ("Support", "Asks which figure is right", "email", -1, "The answer takes two days", "Waited two days", "First-response routing rules"),
            ("Renewal", "Recommends keeping Analytics", "email", 1, null, null, null),
        ];
        (string Stage, string Name, string Channel, int Emotion, string? Pain, string? FeedbackWith, string? Initiative)[] buyer =
        [
            ("Consideration", "Compares three offers", "email", 0, null, null, null),
            ("Purchase", "Signs the annual contract", "email", 1, null, null, null),
            ("Purchase", "Receives the first invoice", "email", -2, "Charged twice for the same month", "charged twice", "Billing self-service portal"),
            ("Use", "Looks for last quarter's invoices", "web", -1, "Cannot download invoices without asking", "download every invoice", "Billing self-service portal"),
            ("Support", "Waits for a refund", "email", -2, "The refund takes three weeks", "Refund took three weeks", "Billing self-service portal"),
            ("Renewal", "Reviews the renewal line by line", "email", 0, "Unsure what each line pays for", null, null),
        ];

        JourneyMap Build(string name, Guid persona, string product, IEnumerable<(string Stage, string Name, string Channel, int Emotion, string? Pain, string? FeedbackWith, string? Initiative)> points)
        {
            var map = new JourneyMap
            {
                Id = DeterministicId(rng, at), Name = name, PersonaId = persona, ProductId = products.First(p => p.Name == product).Id, CreatedAt = at,
            };
            map.Stages = Features.Customers.Journeys.DefaultStages.Select((stage, i) => new JourneyStage { Id = DeterministicId(rng, at), MapId = map.Id, Position = i, Name = stage }).ToList();
            foreach (var (point, index) in points.Select((p, i) => (p, i)))
            {
                var stage = map.Stages.Single(s => s.Name == point.Stage);
                var touchpoint = new Touchpoint
                {
                    Id = DeterministicId(rng, at), StageId = stage.Id, Position = index, Name = point.Name, Channel = point.Channel, Emotion = point.Emotion,
                    PainPoint = point.Pain,
                };
                if (point.FeedbackWith is { } text)
                {
                    touchpoint.Feedback = feedback.Where(f => f.Text.Contains(text, StringComparison.OrdinalIgnoreCase)).Take(6)
                        .Select(f => new TouchpointFeedback { TouchpointId = touchpoint.Id, FeedbackId = f.Id }).ToList();
                }

                if (point.Initiative is { } title && initiatives.FirstOrDefault(i => i.Name == title) is { } initiative)
                {
                    touchpoint.Initiatives = [new TouchpointInitiative { TouchpointId = touchpoint.Id, InitiativeId = initiative.Id }];
                }

                stage.Touchpoints.Add(touchpoint);
            }

            return map;
        }

        return
        [
            Build("Marco's working day with Field Service", PersonaIds[2], "Northwind Field Service", field),
            Build("Sam's first year with Helpdesk", PersonaIds[0], "Northwind Helpdesk", lead),
            Build("Priya's numbers for leadership", PersonaIds[1], "Northwind Analytics", analyst),
            Build("Dana buys and renews Helpdesk", PersonaIds[3], "Northwind Helpdesk", buyer),
        ];
    }
}
