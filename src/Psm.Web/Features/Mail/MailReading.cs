using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using MimeKit;

namespace Psm.Web.Features.Mail;

/// <summary>Mail that must open nothing and get no answer: automatic replies, bounces and bulk mail.</summary>
public enum MailKind { Person, AutoReply, Bounce, Bulk }

/// <summary>The rules PSM reads a message by, pure so they can be tested on their own.</summary>
public static partial class MailReading
{
    /// <summary>The line PSM puts above its own mails; whatever the customer quotes below it is cut.</summary>
    public const string ReplyAbove = "##- Please type your reply above this line -##";

    static MailReading() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>
    /// Auto-replies (<c>Auto-Submitted</c> other than "no", <c>X-Autoreply</c>), bounces (from mailer-daemon or
    /// postmaster, or a delivery-status report), and bulk mail (<c>Precedence: bulk|junk|list</c>, a mailing
    /// list's <c>List-Id</c>, senders named noreply) open no ticket and get no answer: that is how mail loops are avoided.
    /// </summary>
    public static (MailKind Kind, string? Why) Classify(MimeMessage message)
    {
        var sender = message.From.Mailboxes.FirstOrDefault()?.Address?.ToLowerInvariant() ?? "";
        var local = sender.Split('@')[0];
        if (local is "mailer-daemon" or "postmaster" || message.Body is MultipartReport { ReportType: { } type } && type.Equals("delivery-status", StringComparison.OrdinalIgnoreCase))
        {
            return (MailKind.Bounce, "a delivery failure report (bounce)");
        }

        var auto = message.Headers[HeaderId.AutoSubmitted];
        if (!string.IsNullOrWhiteSpace(auto) && !auto.Trim().StartsWith("no", StringComparison.OrdinalIgnoreCase))
        {
            return (MailKind.AutoReply, $"an automatic message (Auto-Submitted: {auto.Trim()})");
        }

        if (message.Headers.Contains("X-Autoreply") || message.Headers.Contains("X-Autorespond"))
        {
            return (MailKind.AutoReply, "an automatic reply");
        }

        var precedence = message.Headers[HeaderId.Precedence]?.Trim().ToLowerInvariant();
        if (precedence is "bulk" or "junk" or "list")
        {
            return (MailKind.Bulk, $"bulk mail (Precedence: {precedence})");
        }

        if (message.Headers.Contains(HeaderId.ListId))
        {
            return (MailKind.Bulk, "mailing-list mail (List-Id)");
        }

        if (NoReply().IsMatch(local))
        {
            return (MailKind.Bulk, $"mail from a no-reply address ({sender})");
        }

        return (MailKind.Person, null);
    }

    /// <summary>Why PSM cannot read the message, or null: no sender, a multipart without its boundary, a charset nobody knows.</summary>
    public static string? Unreadable(MimeMessage message)
    {
        if (message.From.Mailboxes.FirstOrDefault() is not { Address: { Length: > 0 } address } || !address.Contains('@'))
        {
            return "It has no sender address.";
        }

        foreach (var entity in message.BodyParts.Prepend(message.Body).OfType<MimeEntity>())
        {
            if (entity is Multipart multipart && string.IsNullOrEmpty(multipart.Boundary))
            {
                return $"Broken MIME: a {multipart.ContentType.MimeType} part has no boundary.";
            }

            if (entity is TextPart { ContentType.Charset: { Length: > 0 } charset } && !KnownCharset(charset))
            {
                return $"Unknown charset \"{charset}\".";
            }
        }

        return null;
    }

    private static bool KnownCharset(string charset)
    {
        try
        {
            Encoding.GetEncoding(charset.Trim().Trim('"'));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The addresses a bounce says could not be reached (its delivery-status report, else the returned message's recipients).</summary>
    public static IReadOnlyList<string> BouncedRecipients(MimeMessage message)
    {
        var found = new List<string>();
        foreach (var status in message.BodyParts.OfType<MessageDeliveryStatus>())
        {
            foreach (var group in status.StatusGroups.Skip(1))
            {
                var recipient = group["Final-Recipient"] ?? group["Original-Recipient"];
                if (recipient?.Split(';') is [_, var address] && address.Trim().Contains('@'))
                {
                    found.Add(address.Trim().ToLowerInvariant());
                }
            }
        }

        if (found.Count == 0)
        {
            foreach (var returned in message.BodyParts.OfType<MessagePart>().Select(p => p.Message).Where(m => m is not null))
            {
                found.AddRange(returned!.To.Mailboxes.Select(m => m.Address.ToLowerInvariant()));
            }
        }

        return found.Distinct().ToList();
    }

    /// <summary>The Message-IDs of the returned mail a bounce carries (its message/rfc822 or text/rfc822-headers part).</summary>
    public static IReadOnlyList<string> BouncedMessageIds(MimeMessage message) =>
        message.BodyParts.OfType<MessagePart>().Select(p => p.Message?.MessageId).Where(id => !string.IsNullOrEmpty(id)).Select(id => id!).Distinct().ToList();

    /// <summary>The ticket number in a subject such as "Re: [T-1042] Export fails".</summary>
    public static int? TicketNumber(string? subject) =>
        subject is not null && SubjectKey().Match(subject) is { Success: true } match && int.TryParse(match.Groups[1].Value, out var number) ? number : null;

    /// <summary>
    /// The new part of a reply: everything above PSM's own marker, an "On ... wrote:" line, an Outlook
    /// "Original Message" or "From:/Sent:" block; a trailing block of "&gt;"-quoted lines goes too. If
    /// nothing would be left, the whole text stays (a message is never lost to trimming).
    /// </summary>
    public static string TrimQuoted(string text)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var end = lines.Length;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var joined = i + 1 < lines.Length ? $"{line} {lines[i + 1].Trim()}" : line;
            if (line.Contains(ReplyAbove, StringComparison.Ordinal)
                || WroteLine().IsMatch(line) || (line.StartsWith("On ", StringComparison.Ordinal) && WroteLine().IsMatch(joined))
                || OriginalMessage().IsMatch(line)
                || (line.StartsWith("From:", StringComparison.OrdinalIgnoreCase) && i + 1 < lines.Length
                    && lines.Skip(i + 1).Take(3).Any(l => l.TrimStart().StartsWith("Sent:", StringComparison.OrdinalIgnoreCase) || l.TrimStart().StartsWith("Date:", StringComparison.OrdinalIgnoreCase))))
            {
                end = i;
                break;
            }
        }

        // A trailing quoted block (and the blank lines around it).
        while (end > 0 && (lines[end - 1].TrimStart().StartsWith('>') || lines[end - 1].Trim().Length == 0))
        {
            end--;
        }

        var kept = string.Join('\n', lines.Take(end)).Trim();
        return kept.Length > 0 ? kept : text.Trim();
    }

    /// <summary>Readable text from (already sanitised) HTML: blocks and line breaks become new lines.</summary>
    public static string TextFromHtml(string html)
    {
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        var text = new StringBuilder();
        Walk(document.Body ?? (INode)document, text);
        return MultipleBlankLines().Replace(text.ToString().Replace("\u00a0", " "), "\n\n").Trim();
    }

    private static readonly HashSet<string> Blocks = ["P", "DIV", "LI", "TR", "H1", "H2", "H3", "H4", "H5", "H6", "BLOCKQUOTE", "PRE", "TABLE", "UL", "OL"];

    private static void Walk(INode node, StringBuilder text)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText t:
                    text.Append(Whitespace().Replace(t.Data, " "));
                    break;
                case IElement { TagName: "BR" }:
                    text.Append('\n');
                    break;
                case IElement { TagName: "SCRIPT" or "STYLE" or "HEAD" or "TITLE" }:
                    break;
                case IElement element:
                    var block = Blocks.Contains(element.TagName);
                    if (block) text.Append('\n');
                    Walk(element, text);
                    if (block) text.Append('\n');
                    break;
            }
        }
    }

    /// <summary>HTML with nothing that runs: scripts, event handlers, javascript: links, forms and frames are removed.</summary>
    public static string Sanitize(string html) => Sanitizer.Sanitize(html);

    private static readonly Ganss.Xss.HtmlSanitizer Sanitizer = new();

    [GeneratedRegex(@"^(no-?reply|do-?not-?reply|donotreply|bounces?)([+._-].*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex NoReply();

    [GeneratedRegex(@"\[T-(\d{1,9})\]", RegexOptions.IgnoreCase)]
    private static partial Regex SubjectKey();

    [GeneratedRegex(@"^On\s.{1,300}\swrote:\s*$")]
    private static partial Regex WroteLine();

    [GeneratedRegex(@"^-{2,}\s*Original Message\s*-{2,}$", RegexOptions.IgnoreCase)]
    private static partial Regex OriginalMessage();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex MultipleBlankLines();

    [GeneratedRegex(@"[ \t\r\n]+")]
    private static partial Regex Whitespace();
}
