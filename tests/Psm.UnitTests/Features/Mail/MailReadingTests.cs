using MimeKit;
using Psm.Web.Features.Mail;
using Psm.Web.Infrastructure.Outbox;

namespace Psm.UnitTests.Features.Mail;

public sealed class MailReadingTests
{
    private static MimeMessage From(string address, params (string Name, string Value)[] headers)
    {
        var message = new MimeMessage { Subject = "Hello" };
        message.From.Add(MailboxAddress.Parse(address));
        message.To.Add(MailboxAddress.Parse("support@example.test"));
        message.Body = new TextPart("plain") { Text = "Hi" };
        foreach (var (name, value) in headers)
        {
            message.Headers.Add(name, value);
        }

        return message;
    }

    [Theory]
    [InlineData("mia@customer.test", null, null, MailKind.Person)]
    [InlineData("mia@customer.test", "Auto-Submitted", "auto-replied", MailKind.AutoReply)]
    [InlineData("mia@customer.test", "Auto-Submitted", "no", MailKind.Person)]
    [InlineData("mia@customer.test", "X-Autoreply", "yes", MailKind.AutoReply)]
    [InlineData("mia@customer.test", "Precedence", "bulk", MailKind.Bulk)]
    [InlineData("mia@customer.test", "Precedence", "Junk", MailKind.Bulk)]
    [InlineData("mia@customer.test", "List-Id", "<news.customer.test>", MailKind.Bulk)]
    [InlineData("noreply@shop.test", null, null, MailKind.Bulk)]
    [InlineData("no-reply+123@shop.test", null, null, MailKind.Bulk)]
    [InlineData("MAILER-DAEMON@mail.test", null, null, MailKind.Bounce)]
    [InlineData("postmaster@mail.test", null, null, MailKind.Bounce)]
    [InlineData("noreen@customer.test", null, null, MailKind.Person)]
    public void MailThatMustNotBeAnsweredIsRecognised(string from, string? header, string? value, MailKind expected)
    {
        var message = header is null ? From(from) : From(from, (header, value!));
        Assert.Equal(expected, MailReading.Classify(message).Kind);
    }

    [Fact]
    public void ADeliveryStatusReportIsABounceAndNamesTheAddress()
    {
        var message = From("mail@relay.test");
        var status = new MessageDeliveryStatus
        {
            Content = new MimeContent(new MemoryStream("Reporting-MTA: dns; relay.test\r\n\r\nFinal-Recipient: rfc822; Ana@Birch.test\r\nAction: failed\r\n"u8.ToArray())),
        };
        message.Body = new MultipartReport("delivery-status") { new TextPart("plain") { Text = "Could not deliver." }, status };
        Assert.Equal(MailKind.Bounce, MailReading.Classify(message).Kind);
        Assert.Equal(["ana@birch.test"], MailReading.BouncedRecipients(message));
    }

    [Theory]
    [InlineData("Re: [T-1042] Export fails", 1042)]
    [InlineData("[t-7] lower case", 7)]
    [InlineData("T-1042 without brackets", null)]
    [InlineData("[T-] nothing", null)]
    [InlineData(null, null)]
    public void TheTicketKeyIsReadFromTheSubject(string? subject, int? expected) => Assert.Equal(expected, MailReading.TicketNumber(subject));

    [Fact]
    public void QuotedHistoryIsTrimmedInEveryCommonShape()
    {
        Assert.Equal("Thanks, works now.", MailReading.TrimQuoted("Thanks, works now.\n\nOn Mon, 30 Nov 2026 at 10:00, Support <s@x.test> wrote:\n> old text\n> more"));
        Assert.Equal("Thanks.", MailReading.TrimQuoted("Thanks.\n\nOn Mon, 30 Nov 2026 at 10:00, A Very Long Name\n<s@x.test> wrote:\n> old"));
        Assert.Equal("Fine by me.", MailReading.TrimQuoted($"Fine by me.\n{MailReading.ReplyAbove}\nOur answer"));
        Assert.Equal("See below.", MailReading.TrimQuoted("See below.\r\n\r\n-----Original Message-----\r\nFrom: x"));
        Assert.Equal("Outlook style.", MailReading.TrimQuoted("Outlook style.\n\nFrom: Support <s@x.test>\nSent: Monday\nTo: me\nSubject: x"));
        Assert.Equal("Top.\n> inline quote\nMiddle.", MailReading.TrimQuoted("Top.\n> inline quote\nMiddle.\n\n> trailing\n> quote\n"));
        // Nothing new at all: the whole message stays, never lost to trimming.
        Assert.Equal("> only a quote", MailReading.TrimQuoted("> only a quote"));
    }

    [Fact]
    public void HtmlBecomesTextWithLineBreaksAndSanitisingRemovesWhatRuns()
    {
        var html = MailReading.Sanitize("<p>Hello <b>team</b>,</p><div>line two<br>line three</div><script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>");
        Assert.DoesNotContain("script", html);
        Assert.DoesNotContain("onerror", html);
        Assert.DoesNotContain("javascript:", html);
        Assert.Equal("Hello team,\n\nline two\nline three\nx", MailReading.TextFromHtml(html));
    }

    [Fact]
    public void UnreadableMailIsNamed()
    {
        var noSender = new MimeMessage { Body = new TextPart("plain") { Text = "x" } };
        Assert.Equal("It has no sender address.", MailReading.Unreadable(noSender));
        var klingon = From("a@b.test");
        ((TextPart)klingon.Body!).ContentType.Charset = "x-klingon";
        Assert.Contains("x-klingon", MailReading.Unreadable(klingon));
        var latin = From("a@b.test");
        ((TextPart)latin.Body!).ContentType.Charset = "iso-8859-2";
        Assert.Null(MailReading.Unreadable(latin));
    }

    [Fact]
    public void OutboxRetriesWaitLongerEachTimeUpToAnHour()
    {
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], Enumerable.Range(1, 8).Select(n => OutboxSender.Backoff(n).TotalMinutes));
    }
}
