using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Mail;

public enum MailTemplateKind { TicketReply, CsatInvitation, SurveyInvitation, Notification, PasswordReset }

/// <summary>An admin's wording of one kind of mail; without one, PSM's default wording is used.</summary>
public sealed class MailTemplate : IVersioned
{
    public MailTemplateKind Kind { get; set; }
    public string Subject { get; set; } = "";
    public string Body { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

public sealed record Placeholder(string Name, string Meaning, bool Required = false);

public sealed record MailTemplateDto(MailTemplateKind Kind, string Subject, string Body, bool Customised, IReadOnlyList<Placeholder> Placeholders, Guid? Version);

public sealed record RenderedMail(string Subject, string Text);

public sealed class MailTemplateInput
{
    [Required(ErrorMessage = "The subject is required.")]
    [StringLength(300, ErrorMessage = "The subject must be at most 300 characters.")]
    public string Subject { get; set; } = "";

    [Required(ErrorMessage = "The body is required.")]
    [StringLength(20_000, ErrorMessage = "The body must be at most 20 000 characters.")]
    public string Body { get; set; } = "";

    public Guid? Version { get; set; }
}

/// <summary>
/// The wording of the mail PSM sends, with {{placeholders}}. Filling is one pass over the template: what a
/// customer or agent typed is inserted as it is and never read as a placeholder, and the HTML part of every
/// mail encodes it (<see cref="OutgoingMail.Compose"/>), so nothing anyone typed becomes markup.
/// </summary>
public sealed partial class MailTemplates(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    private static readonly Dictionary<MailTemplateKind, (string Subject, string Body, Placeholder[] Placeholders)> Defaults = new()
    {
        [MailTemplateKind.TicketReply] = ("[{{ticket.key}}] {{ticket.subject}}", "{{reply}}\n\n-- \n{{agent}}, {{mailbox}}\nYour request {{ticket.key}}: {{ticket.subject}}\n",
        [
            new("reply", "what the agent wrote", true), new("agent", "the agent's name"), new("mailbox", "the mailbox's name"), new("ticket.key", "the ticket key, e.g. T-1042"),
            new("ticket.subject", "the ticket's subject"), new("contact.name", "the person written to"), new("customer.name", "their company"),
        ]),
        [MailTemplateKind.CsatInvitation] = ("How did we do? [{{ticket.key}}] {{ticket.subject}}",
            "Hello {{contact.name}},\n\nyour request {{ticket.key}} (\"{{ticket.subject}}\") was resolved. How satisfied are you with the help you got? One click, one question:\n\n{{link}}\n\nThank you,\n{{mailbox}}\n",
        [
            new("link", "the personal survey link (one answer)", true), new("ticket.key", "the ticket key"), new("ticket.subject", "the ticket's subject"),
            new("contact.name", "the person written to"), new("customer.name", "their company"), new("mailbox", "the mailbox's name"),
        ]),
        [MailTemplateKind.SurveyInvitation] = ("{{survey.name}}: one question for you",
            "Hello {{contact.name}},\n\n{{survey.question}}\n\nAnswer here (one click, a minute at most):\n{{link}}\n\nThank you,\n{{mailbox}}\n\nNo more survey mail: {{unsubscribe}}\n",
        [
            new("link", "the personal survey link (one answer)", true), new("unsubscribe", "the link that stops survey mail to this person, at once", true),
            new("survey.name", "the survey's name"), new("survey.question", "the survey's question"), new("contact.name", "the person written to"),
            new("customer.name", "their company"), new("mailbox", "the mailbox's name"),
        ]),
        [MailTemplateKind.Notification] = ("{{notification}}",
            "Hello {{user.name}},\n\n{{notification}}\n\nOpen it in PSM: {{link}}\n\nYou get this mail because your notifications also go by e-mail. Turn that off here: {{settings}}\n",
        [
            new("notification", "what happened, as the bell shows it", true), new("link", "where it is in PSM", true),
            new("settings", "the page where the person turns these mails off", true), new("user.name", "the person written to"),
        ]),
        [MailTemplateKind.PasswordReset] = ("Set a new PSM password",
            "Hello {{user.name}},\n\nan administrator asked PSM to let you set a new password. Choose it here (the link works once, until {{expires}}):\n\n{{link}}\n\nIf you did not expect this, tell your administrator; your password stays as it is until the link is used.\n",
        [
            new("link", "the one-time link to set a new password", true), new("expires", "until when the link works"), new("user.name", "the person written to"),
        ]),
    };

    /// <summary>Example values for the preview.</summary>
    private static readonly Dictionary<string, string> Samples = new()
    {
        ["reply"] = "Thanks for the details. The export is fixed and your March file is attached again.", ["agent"] = "Sam Support", ["mailbox"] = "Northwind support",
        ["ticket.key"] = "T-1042", ["ticket.subject"] = "Invoices export is empty", ["contact.name"] = "Mia Keller", ["customer.name"] = "Aurora Labs",
        ["link"] = "https://psm.example.com/r/3f9c1e", ["unsubscribe"] = "https://psm.example.com/u/3f9c1e", ["survey.name"] = "Quarterly NPS",
        ["survey.question"] = "How likely are you to recommend Northwind to a colleague?",
        ["expires"] = "1 Dec 2026, 09:30 UTC", ["notification"] = "T-1042 breached its first-response SLA.", ["user.name"] = "Lee Lead", ["settings"] = "https://psm.example.com/account/notifications",
    };

    public static IReadOnlyList<Placeholder> PlaceholdersOf(MailTemplateKind kind) => Defaults[kind].Placeholders;


    /// <summary>Fills {{name}} placeholders in one pass; the values are never scanned again.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        PlaceholderPattern().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    public static RenderedMail Render(MailTemplateKind kind, string subject, string body, IReadOnlyDictionary<string, string> values) =>
        // A subject is one line whatever was typed into it.
        new(Fill(subject, values).ReplaceLineEndings(" ").Trim(), Fill(body, values));

    /// <summary>The admin's wording of a kind of mail, or PSM's default (read once for a batch of mails).</summary>
    public static async Task<(string Subject, string Body)> WordingAsync(PsmDb db, MailTemplateKind kind, CancellationToken ct)
    {
        var custom = await db.MailTemplates.AsNoTracking().SingleOrDefaultAsync(t => t.Kind == kind, ct);
        return (custom?.Subject ?? Defaults[kind].Subject, custom?.Body ?? Defaults[kind].Body);
    }

    /// <summary>The admin's wording (or the default), filled in.</summary>
    public static async Task<RenderedMail> RenderAsync(PsmDb db, MailTemplateKind kind, IReadOnlyDictionary<string, string> values, CancellationToken ct)
    {
        var (subject, body) = await WordingAsync(db, kind, ct);
        return Render(kind, subject, body, values);
    }

    public async Task<IReadOnlyList<MailTemplateDto>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var custom = await db.MailTemplates.AsNoTracking().ToDictionaryAsync(t => t.Kind, ct);
        return Enum.GetValues<MailTemplateKind>().Select(k => ToDto(k, custom.GetValueOrDefault(k))).ToList();
    }

    public async Task<MailTemplateDto> SaveAsync(MailTemplateKind kind, MailTemplateInput input, CancellationToken ct = default)
    {
        Check(kind, input);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var template = await db.MailTemplates.SingleOrDefaultAsync(t => t.Kind == kind, ct);
        if (template is null)
        {
            template = new MailTemplate { Kind = kind };
            db.MailTemplates.Add(template);
        }
        else
        {
            db.ExpectVersion(template, input.Version);
        }

        (template.Subject, template.Body, template.UpdatedAt) = (input.Subject.Trim(), input.Body.Replace("\r\n", "\n"), time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return ToDto(kind, template);
    }

    /// <summary>Back to PSM's default wording.</summary>
    public async Task<MailTemplateDto> ResetAsync(MailTemplateKind kind, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.MailTemplates.Where(t => t.Kind == kind).ExecuteDeleteAsync(ct);
        return ToDto(kind, null);
    }

    /// <summary>The mail as a customer would get it, with example values (the wording is checked first).</summary>
    public static RenderedMail Preview(MailTemplateKind kind, MailTemplateInput input)
    {
        Check(kind, input);
        return Render(kind, input.Subject, input.Body, kind switch
        {
            MailTemplateKind.Notification => new Dictionary<string, string>(Samples) { ["link"] = "https://psm.example.com/service/tickets/3f9c1e" },
            MailTemplateKind.PasswordReset => new Dictionary<string, string>(Samples) { ["link"] = "https://psm.example.com/account/reset?email=lee%40example.com&token=CfDJ8" },
            _ => Samples,
        });
    }

    private static void Check(MailTemplateKind kind, MailTemplateInput input)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new RequestValidationException("kind", $"Choose one of: {string.Join(", ", Enum.GetNames<MailTemplateKind>())}.");
        }

        var known = Defaults[kind].Placeholders;
        var problems = new List<(string, string)>();
        foreach (var (field, text) in new[] { ("subject", input.Subject ?? ""), ("body", input.Body ?? "") })
        {
            var unknown = PlaceholderPattern().Matches(text).Select(m => m.Groups[1].Value).Where(n => known.All(p => p.Name != n)).Distinct().ToList();
            if (unknown.Count > 0)
            {
                problems.Add((field, $"Unknown placeholder(s): {string.Join(", ", unknown.Select(u => "{{" + u + "}}"))}. This mail knows: {string.Join(", ", known.Select(p => "{{" + p.Name + "}}"))}."));
            }
        }

        var inBody = PlaceholderPattern().Matches(input.Body ?? "").Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var required in known.Where(p => p.Required && !inBody.Contains(p.Name)))
        {
            problems.Add(("body", $"The body must contain {{{{{required.Name}}}}} ({required.Meaning})."));
        }

        if (string.IsNullOrWhiteSpace(input.Subject)) problems.Add(("subject", "The subject is required."));
        RequestValidationException.ThrowIfAny(problems);
    }

    private static MailTemplateDto ToDto(MailTemplateKind kind, MailTemplate? custom)
    {
        var (subject, body, placeholders) = Defaults[kind];
        return new MailTemplateDto(kind, custom?.Subject ?? subject, custom?.Body ?? body, custom is not null, placeholders, custom?.Version);
    }

    [GeneratedRegex(@"\{\{\s*([a-z]+(?:\.[a-z]+)?)\s*\}\}")]
    private static partial Regex PlaceholderPattern();
}

internal sealed class MailTemplateConfiguration : IEntityTypeConfiguration<MailTemplate>
{
    public void Configure(EntityTypeBuilder<MailTemplate> template)
    {
        template.ToTable("MailTemplates");
        template.HasKey(t => t.Kind);
        template.Property(t => t.Kind).HasConversion<string>().HasMaxLength(32);
        template.Property(t => t.Subject).HasMaxLength(300);
        template.Property(t => t.Body).HasMaxLength(20_000);
    }
}
