"""Conversations: follow-up questions resolved from the earlier turns, without a generative model.

In:  a question and the conversation before it (earlier questions, oldest first; answers optional).
Out: the question as it is searched (`search_query`), and for ordinal follow-ups ("那第三项呢？") the
     passage that continues the enumeration of the previous answer.

    history.py      turns from the HTTP API or OpenAI messages → checked, trimmed Turn records
    followup.py     is a question a follow-up? which kind? → the search query (pure text rules)
    enumeration.py  "第一，… 第三，…", "一是…三是…", sibling paragraphs → the passage at position n
    conversation.py the service's entry: resolve every earlier turn, search, continue enumerations
    render.py       plain-text answers for the terminal (`qa chat`) and OpenAI assistant messages
    terminal.py     `qa chat`: the interactive loop (/new, Ctrl-D)
"""
