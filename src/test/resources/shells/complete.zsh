# Types a command line into an interactive zsh, presses TAB and prints the line as completed.
# Usage: zsh -f complete.zsh COMPLETION_SCRIPT 'pyspy record --form'
# A key bound to a widget prints the buffer after the completion; the read waits for it (the caller
# bounds the wait) instead of for a fixed time. ${:-COMPLE}TED: the echo of the widget's own
# definition must not match what the read waits for.
zmodload zsh/zpty
zpty shell zsh -f -i
zpty -w shell "PROMPT='> '"
zpty -w shell "autoload -U compinit && compinit -u"
zpty -w shell "source ${(q)1}"
zpty -w shell 'show-buffer() { print -r -- "${:-COMPLE}TED:$BUFFER:END" > /dev/tty }; zle -N show-buffer; bindkey "^T" show-buffer'
zpty -w -n shell "$2"$'\t'$'\x14'
zpty -r -m shell out '*COMPLETED:*:END*'
print -r -- "${${out##*COMPLETED:}%%:END*}"
zpty -d shell
