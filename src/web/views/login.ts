// The login page: the user pastes a token once; `POST /api/v1/session` turns it into an HttpOnly
// session cookie. The token is never kept by the page, never put in a URL.
import { api } from '../api.js'
import { h } from '../dom.js'
import { LANGS, currentLang, label, setLang, t, type Lang } from '../i18n.js'

export function showLogin(root: HTMLElement, onDone: () => void): void {
  const token = h('input', { type: 'password', id: 'login-token', autocomplete: 'current-password', required: '' })
  const msg = h('p', { class: 'error', id: 'login-error', role: 'alert' })
  const submit = label(h('button', { type: 'submit', id: 'login-submit' }), 'login.submit')
  const form = h('form', { class: 'login', id: 'login' },
    label(h('h1'), 'login.title'),
    label(h('label', { for: 'login-token' }), 'login.token'), token,
    submit, msg, label(h('p', { class: 'hint' }), 'login.hint'),
    langSelect())
  form.onsubmit = (e) => {
    e.preventDefault()
    submit.disabled = true
    api.post('/api/v1/session', { token: token.value }).then(() => {
      token.value = ''
      history.replaceState(null, '', '/')
      onDone()
    }).catch(() => {
      msg.textContent = t('login.failed')
      submit.disabled = false
    })
  }
  root.replaceChildren(form)
  token.focus()
}

export function langSelect(): HTMLSelectElement {
  const sel = h('select', { id: 'lang', 'data-i18n-title': 'app.language' })
  sel.title = t('app.language')
  for (const l of LANGS) sel.append(h('option', { value: l.id }, l.label))
  sel.value = currentLang()
  sel.onchange = () => setLang(sel.value as Lang)
  return sel
}
