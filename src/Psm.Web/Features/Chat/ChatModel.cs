using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Chat;

/// <summary>
/// Assistant: the visitor is talking to the assistant. Waiting: they asked for a person and nobody has taken the chat yet.
/// Active: an agent has it. Ended: someone ended it. Missed: nobody was available and the visitor left a message.
/// </summary>
public enum ChatStatus { Assistant, Waiting, Active, Ended, Missed }

public enum ChatAuthor { Visitor, Agent, Assistant, System }

/// <summary>
/// A website that embeds the chat widget: its public key (in the script tag) and the origins the widget may run on.
/// Chats from the site go to its team (any available agent when none is set).
/// </summary>
public sealed class ChatSite
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";

    /// <summary>Public (it is in every page's script tag): it names the site, it grants nothing.</summary>
    public string SiteKey { get; set; } = "";

    /// <summary>Origins (scheme://host[:port]) the widget may be used from, one per line, normalised.</summary>
    public string AllowedOrigins { get; set; } = "";

    public Guid? TeamId { get; set; }
    public bool Active { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }

    public IReadOnlyList<string> Origins => AllowedOrigins.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>An agent's chat availability and how many chats they take at once; round-robin gives the next chat to the one who waited longest.</summary>
public sealed class ChatAgent
{
    public Guid UserId { get; set; }
    public bool Available { get; set; }
    public int MaxChats { get; set; } = 3;
    public DateTimeOffset? LastAssignedAt { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
}

/// <summary>A visitor's chat: with the assistant first, then (when they ask) with a person; it becomes a ticket (channel Chat) when a person is asked for.</summary>
[NotAudited]
public sealed class ChatConversation
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid SiteId { get; set; }
    public ChatStatus Status { get; set; }
    public string VisitorName { get; set; } = "";
    public string VisitorEmail { get; set; } = "";
    public string PageUrl { get; set; } = "";

    /// <summary>The widget's random visitor id (kept in the browser), so a visitor who comes back counts as coming back.</summary>
    public string VisitorKey { get; set; } = "";

    /// <summary>The assistant conversation the chat began with (its token): the assistant's figures count it.</summary>
    public string? AssistantToken { get; set; }

    public Guid? TicketId { get; set; }
    public Guid? TeamId { get; set; }
    public Guid? AgentId { get; set; }
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When the visitor asked for a person.</summary>
    public DateTimeOffset? HandedAt { get; set; }

    public DateTimeOffset? AcceptedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public DateTimeOffset LastAt { get; set; }
}

/// <summary>One line of a chat. Text is stored as written and shown escaped everywhere; the assistant's is Markdown from a published article, rendered sanitised.</summary>
[NotAudited]
public sealed class ChatMessage
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid ConversationId { get; set; }
    public DateTimeOffset At { get; set; }
    public ChatAuthor Author { get; set; }
    public string Name { get; set; } = "";
    public string Text { get; set; } = "";

    /// <summary>For the assistant's answers: the article the passage came from.</summary>
    public string? ArticleSlug { get; set; }

    public string? ArticleTitle { get; set; }
}

// ---- inputs ----

public sealed class ChatSiteInput
{
    [Required(ErrorMessage = "Name the site.")]
    [StringLength(200, MinimumLength = 1, ErrorMessage = "The name is 1 to 200 characters.")]
    public string Name { get; set; } = "";

    /// <summary>Origins such as https://www.example.com, one per item; at most 20.</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    public Guid? TeamId { get; set; }
    public bool Active { get; set; } = true;
}

public sealed class ChatStartInput
{
    /// <summary>The visitor's first question, for the assistant; none opens an empty conversation.</summary>
    [StringLength(500, ErrorMessage = "A question is at most 500 characters.")]
    public string? Question { get; set; }

    [StringLength(1000, ErrorMessage = "The page address is at most 1000 characters.")]
    public string? PageUrl { get; set; }

    /// <summary>A random id the widget keeps in the browser (16 to 64 letters and digits); none makes one per conversation.</summary>
    [RegularExpression("^[A-Za-z0-9]{16,64}$", ErrorMessage = "A visitor id is 16 to 64 letters and digits.")]
    public string? Visitor { get; set; }
}

public sealed class ChatTextInput
{
    [Required(ErrorMessage = "Write something.")]
    [StringLength(4000, MinimumLength = 1, ErrorMessage = "A message is 1 to 4000 characters.")]
    public string Text { get; set; } = "";
}

public sealed class ChatPersonInput
{
    [Required(ErrorMessage = "Your name is required.")]
    [StringLength(200, MinimumLength = 1, ErrorMessage = "The name is 1 to 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "An e-mail address is required, so we can answer.")]
    [EmailAddress(ErrorMessage = "That is not an e-mail address.")]
    [StringLength(256, ErrorMessage = "The address must be at most 256 characters.")]
    public string Email { get; set; } = "";
}

public sealed class ChatOfflineInput
{
    [Required(ErrorMessage = "Your name is required.")]
    [StringLength(200, MinimumLength = 1, ErrorMessage = "The name is 1 to 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "An e-mail address is required, so we can answer.")]
    [EmailAddress(ErrorMessage = "That is not an e-mail address.")]
    [StringLength(256, ErrorMessage = "The address must be at most 256 characters.")]
    public string Email { get; set; } = "";

    [Required(ErrorMessage = "Write your message.")]
    [StringLength(5000, MinimumLength = 1, ErrorMessage = "A message is 1 to 5000 characters.")]
    public string Message { get; set; } = "";
}

public sealed class ChatCsatInput
{
    [Required(ErrorMessage = "Choose a score.")]
    public int? Score { get; set; }

    [StringLength(2000, ErrorMessage = "A comment is at most 2000 characters.")]
    public string? Comment { get; set; }
}

public sealed class ChatAvailabilityInput
{
    public bool Available { get; set; }

    [Range(1, 10, ErrorMessage = "An agent takes 1 to 10 chats at once.")]
    public int MaxChats { get; set; } = 3;
}

// ---- views ----

public sealed record ChatSiteDto(Guid Id, string Name, string SiteKey, IReadOnlyList<string> AllowedOrigins, Guid? TeamId, string? Team, bool Active, string Snippet, int Chats30Days);

/// <summary>A line as shown: <see cref="Html"/> only for the assistant's answers (sanitised), everything else is text to show escaped.</summary>
public sealed record ChatLine(Guid Id, DateTimeOffset At, ChatAuthor Author, string Name, string Text, string? Html, string? ArticleTitle, string? ArticleUrl);

/// <summary>What the visitor's widget shows: the lines, the state, who answers, the ticket, and the CSAT question once the chat ended.</summary>
public sealed record ChatVisitorView(
    Guid Id, ChatStatus Status, string? AgentName, string? TicketKey, bool AgentsAvailable, ChatCsatQuestion? Csat, IReadOnlyList<ChatLine> Lines);

public sealed record ChatCsatQuestion(string Question, int Min, int Max, bool Answered, int? Score);

/// <summary>A new conversation: its id and the signed token that alone lets the visitor read and write it.</summary>
public sealed record ChatStarted(Guid Id, string Token, ChatVisitorView View);

public sealed record ChatSiteInfo(string Company, string Accent, string Greeting, bool AgentsAvailable);

public sealed record ChatSummary(
    Guid Id, ChatStatus Status, string Site, string Visitor, string? VisitorEmail, NamedRef? Agent, string? TicketKey, Guid? TicketId,
    DateTimeOffset StartedAt, DateTimeOffset? HandedAt, DateTimeOffset LastAt, string LastLine, int Lines);

public sealed record ChatDetail(ChatSummary Summary, string PageUrl, IReadOnlyList<ChatLine> Lines, int? CsatScore);

public sealed record ChatAgentDto(Guid UserId, string Name, bool Available, int MaxChats, int ActiveChats);

public sealed record ChatBoard(ChatAgentDto? Me, IReadOnlyList<ChatAgentDto> Agents, IReadOnlyList<ChatSummary> Waiting, IReadOnlyList<ChatSummary> Active, IReadOnlyList<ChatSummary> Recent);

// ---- storage ----

internal sealed class ChatSiteConfiguration : IEntityTypeConfiguration<ChatSite>
{
    public void Configure(EntityTypeBuilder<ChatSite> site)
    {
        site.ToTable("ChatSites");
        site.Property(s => s.Name).HasMaxLength(200);
        site.Property(s => s.SiteKey).HasMaxLength(64);
        site.HasIndex(s => s.SiteKey).IsUnique();
        site.Property(s => s.AllowedOrigins).HasMaxLength(8000);
        site.Ignore(s => s.Origins);
        site.HasOne<ServiceDesk.Team>().WithMany().HasForeignKey(s => s.TeamId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ChatAgentConfiguration : IEntityTypeConfiguration<ChatAgent>
{
    public void Configure(EntityTypeBuilder<ChatAgent> agent)
    {
        agent.ToTable("ChatAgents");
        agent.HasKey(a => a.UserId);
        agent.HasOne<Account.PsmUser>().WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ChatConversationConfiguration : IEntityTypeConfiguration<ChatConversation>
{
    public void Configure(EntityTypeBuilder<ChatConversation> chat)
    {
        chat.ToTable("ChatConversations");
        chat.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        chat.Property(c => c.VisitorName).HasMaxLength(200);
        chat.Property(c => c.VisitorEmail).HasMaxLength(256);
        chat.Property(c => c.PageUrl).HasMaxLength(1000);
        chat.Property(c => c.AssistantToken).HasMaxLength(64);
        chat.Property(c => c.VisitorKey).HasMaxLength(80);
        chat.HasIndex(c => new { c.Status, c.HandedAt });
        chat.HasIndex(c => c.StartedAt);
        chat.HasIndex(c => c.TicketId);
        chat.HasOne<ChatSite>().WithMany().HasForeignKey(c => c.SiteId).OnDelete(DeleteBehavior.Cascade);
        chat.HasOne<ServiceDesk.Ticket>().WithMany().HasForeignKey(c => c.TicketId).OnDelete(DeleteBehavior.SetNull);
        chat.HasOne<Account.PsmUser>().WithMany().HasForeignKey(c => c.AgentId).OnDelete(DeleteBehavior.SetNull);
        chat.HasOne<ServiceDesk.Team>().WithMany().HasForeignKey(c => c.TeamId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ChatMessageConfiguration : IEntityTypeConfiguration<ChatMessage>
{
    public void Configure(EntityTypeBuilder<ChatMessage> message)
    {
        message.ToTable("ChatMessages");
        message.Property(m => m.Author).HasConversion<string>().HasMaxLength(16);
        message.Property(m => m.Name).HasMaxLength(200);
        message.Property(m => m.Text).HasMaxLength(5000);
        message.Property(m => m.ArticleSlug).HasMaxLength(200);
        message.Property(m => m.ArticleTitle).HasMaxLength(300);
        message.HasIndex(m => new { m.ConversationId, m.At });
        message.HasOne<ChatConversation>().WithMany().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
    }
}
