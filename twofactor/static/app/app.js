var Xt=Object.defineProperty;var Zt=(e,t,n)=>t in e?Xt(e,t,{enumerable:!0,configurable:!0,writable:!0,value:n}):e[t]=n;var pe=(e,t,n)=>Zt(e,typeof t!="symbol"?t+"":t,n);var Ie,D,at,en,ie,rt,ct,ut,lt,Ye,qe,We,tn,ge={},dt=[],nn=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,Re=Array.isArray;function re(e,t){for(var n in t)e[n]=t[n];return e}function Be(e){e&&e.parentNode&&e.parentNode.removeChild(e)}function Ge(e,t,n){var r,i,o,c={};for(o in t)o=="key"?r=t[o]:o=="ref"?i=t[o]:c[o]=t[o];if(arguments.length>2&&(c.children=arguments.length>3?Ie.call(arguments,2):n),typeof e=="function"&&e.defaultProps!=null)for(o in e.defaultProps)c[o]===void 0&&(c[o]=e.defaultProps[o]);return Te(e,c,r,i,null)}function Te(e,t,n,r,i){var o={type:e,props:t,key:n,ref:r,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:i??++at,__i:-1,__u:0};return i==null&&D.vnode!=null&&D.vnode(o),o}function De(e){return e.children}function xe(e,t){this.props=e,this.context=t}function fe(e,t){if(t==null)return e.__?fe(e.__,e.__i+1):null;for(var n;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null)return n.__e;return typeof e.type=="function"?fe(e):null}function pt(e){var t,n;if((e=e.__)!=null&&e.__c!=null){for(e.__e=e.__c.base=null,t=0;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null){e.__e=e.__c.base=n.__e;break}return pt(e)}}function ot(e){(!e.__d&&(e.__d=!0)&&ie.push(e)&&!Ae.__r++||rt!=D.debounceRendering)&&((rt=D.debounceRendering)||ct)(Ae)}function Ae(){for(var e,t,n,r,i,o,c,u=1;ie.length;)ie.length>u&&ie.sort(ut),e=ie.shift(),u=ie.length,e.__d&&(n=void 0,r=void 0,i=(r=(t=e).__v).__e,o=[],c=[],t.__P&&((n=re({},r)).__v=r.__v+1,D.vnode&&D.vnode(n),Ve(t.__P,n,r,t.__n,t.__P.namespaceURI,32&r.__u?[i]:null,o,i??fe(r),!!(32&r.__u),c),n.__v=r.__v,n.__.__k[n.__i]=n,mt(o,n,c),r.__e=r.__=null,n.__e!=i&&pt(n)));Ae.__r=0}function ft(e,t,n,r,i,o,c,u,l,s,f){var a,p,y,_,$,h,g,m=r&&r.__k||dt,S=t.length;for(l=rn(n,t,m,l,S),a=0;a<S;a++)(y=n.__k[a])!=null&&(p=y.__i==-1?ge:m[y.__i]||ge,y.__i=a,h=Ve(e,y,p,i,o,c,u,l,s,f),_=y.__e,y.ref&&p.ref!=y.ref&&(p.ref&&je(p.ref,null,y),f.push(y.ref,y.__c||_,y)),$==null&&_!=null&&($=_),(g=!!(4&y.__u))||p.__k===y.__k?l=yt(y,l,e,g):typeof y.type=="function"&&h!==void 0?l=h:_&&(l=_.nextSibling),y.__u&=-7);return n.__e=$,l}function rn(e,t,n,r,i){var o,c,u,l,s,f=n.length,a=f,p=0;for(e.__k=new Array(i),o=0;o<i;o++)(c=t[o])!=null&&typeof c!="boolean"&&typeof c!="function"?(l=o+p,(c=e.__k[o]=typeof c=="string"||typeof c=="number"||typeof c=="bigint"||c.constructor==String?Te(null,c,null,null,null):Re(c)?Te(De,{children:c},null,null,null):c.constructor==null&&c.__b>0?Te(c.type,c.props,c.key,c.ref?c.ref:null,c.__v):c).__=e,c.__b=e.__b+1,u=null,(s=c.__i=on(c,n,l,a))!=-1&&(a--,(u=n[s])&&(u.__u|=2)),u==null||u.__v==null?(s==-1&&(i>f?p--:i<f&&p++),typeof c.type!="function"&&(c.__u|=4)):s!=l&&(s==l-1?p--:s==l+1?p++:(s>l?p--:p++,c.__u|=4))):e.__k[o]=null;if(a)for(o=0;o<f;o++)(u=n[o])!=null&&(2&u.__u)==0&&(u.__e==r&&(r=fe(u)),ht(u,u));return r}function yt(e,t,n,r){var i,o;if(typeof e.type=="function"){for(i=e.__k,o=0;i&&o<i.length;o++)i[o]&&(i[o].__=e,t=yt(i[o],t,n,r));return t}e.__e!=t&&(r&&(t&&e.type&&!t.parentNode&&(t=fe(e)),n.insertBefore(e.__e,t||null)),t=e.__e);do t=t&&t.nextSibling;while(t!=null&&t.nodeType==8);return t}function on(e,t,n,r){var i,o,c,u=e.key,l=e.type,s=t[n],f=s!=null&&(2&s.__u)==0;if(s===null&&e.key==null||f&&u==s.key&&l==s.type)return n;if(r>(f?1:0)){for(i=n-1,o=n+1;i>=0||o<t.length;)if((s=t[c=i>=0?i--:o++])!=null&&(2&s.__u)==0&&u==s.key&&l==s.type)return c}return-1}function st(e,t,n){t[0]=="-"?e.setProperty(t,n??""):e[t]=n==null?"":typeof n!="number"||nn.test(t)?n:n+"px"}function ke(e,t,n,r,i){var o,c;e:if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof r=="string"&&(e.style.cssText=r=""),r)for(t in r)n&&t in n||st(e.style,t,"");if(n)for(t in n)r&&n[t]==r[t]||st(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")o=t!=(t=t.replace(lt,"$1")),c=t.toLowerCase(),t=c in e||t=="onFocusOut"||t=="onFocusIn"?c.slice(2):t.slice(2),e.l||(e.l={}),e.l[t+o]=n,n?r?n.u=r.u:(n.u=Ye,e.addEventListener(t,o?We:qe,o)):e.removeEventListener(t,o?We:qe,o);else{if(i=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{e[t]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n))}}function it(e){return function(t){if(this.l){var n=this.l[t.type+e];if(t.t==null)t.t=Ye++;else if(t.t<n.u)return;return n(D.event?D.event(t):t)}}}function Ve(e,t,n,r,i,o,c,u,l,s){var f,a,p,y,_,$,h,g,m,S,I,L,v,T,w,H,C,F=t.type;if(t.constructor!=null)return null;128&n.__u&&(l=!!(32&n.__u),o=[u=t.__e=n.__e]),(f=D.__b)&&f(t);e:if(typeof F=="function")try{if(g=t.props,m="prototype"in F&&F.prototype.render,S=(f=F.contextType)&&r[f.__c],I=f?S?S.props.value:f.__:r,n.__c?h=(a=t.__c=n.__c).__=a.__E:(m?t.__c=a=new F(g,I):(t.__c=a=new xe(g,I),a.constructor=F,a.render=an),S&&S.sub(a),a.props=g,a.state||(a.state={}),a.context=I,a.__n=r,p=a.__d=!0,a.__h=[],a._sb=[]),m&&a.__s==null&&(a.__s=a.state),m&&F.getDerivedStateFromProps!=null&&(a.__s==a.state&&(a.__s=re({},a.__s)),re(a.__s,F.getDerivedStateFromProps(g,a.__s))),y=a.props,_=a.state,a.__v=t,p)m&&F.getDerivedStateFromProps==null&&a.componentWillMount!=null&&a.componentWillMount(),m&&a.componentDidMount!=null&&a.__h.push(a.componentDidMount);else{if(m&&F.getDerivedStateFromProps==null&&g!==y&&a.componentWillReceiveProps!=null&&a.componentWillReceiveProps(g,I),!a.__e&&a.shouldComponentUpdate!=null&&a.shouldComponentUpdate(g,a.__s,I)===!1||t.__v==n.__v){for(t.__v!=n.__v&&(a.props=g,a.state=a.__s,a.__d=!1),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(j){j&&(j.__=t)}),L=0;L<a._sb.length;L++)a.__h.push(a._sb[L]);a._sb=[],a.__h.length&&c.push(a);break e}a.componentWillUpdate!=null&&a.componentWillUpdate(g,a.__s,I),m&&a.componentDidUpdate!=null&&a.__h.push(function(){a.componentDidUpdate(y,_,$)})}if(a.context=I,a.props=g,a.__P=e,a.__e=!1,v=D.__r,T=0,m){for(a.state=a.__s,a.__d=!1,v&&v(t),f=a.render(a.props,a.state,a.context),w=0;w<a._sb.length;w++)a.__h.push(a._sb[w]);a._sb=[]}else do a.__d=!1,v&&v(t),f=a.render(a.props,a.state,a.context),a.state=a.__s;while(a.__d&&++T<25);a.state=a.__s,a.getChildContext!=null&&(r=re(re({},r),a.getChildContext())),m&&!p&&a.getSnapshotBeforeUpdate!=null&&($=a.getSnapshotBeforeUpdate(y,_)),H=f,f!=null&&f.type===De&&f.key==null&&(H=_t(f.props.children)),u=ft(e,Re(H)?H:[H],t,n,r,i,o,c,u,l,s),a.base=t.__e,t.__u&=-161,a.__h.length&&c.push(a),h&&(a.__E=a.__=null)}catch(j){if(t.__v=null,l||o!=null)if(j.then){for(t.__u|=l?160:128;u&&u.nodeType==8&&u.nextSibling;)u=u.nextSibling;o[o.indexOf(u)]=null,t.__e=u}else{for(C=o.length;C--;)Be(o[C]);He(t)}else t.__e=n.__e,t.__k=n.__k,j.then||He(t);D.__e(j,t,n)}else o==null&&t.__v==n.__v?(t.__k=n.__k,t.__e=n.__e):u=t.__e=sn(n.__e,t,n,r,i,o,c,l,s);return(f=D.diffed)&&f(t),128&t.__u?void 0:u}function He(e){e&&e.__c&&(e.__c.__e=!0),e&&e.__k&&e.__k.forEach(He)}function mt(e,t,n){for(var r=0;r<n.length;r++)je(n[r],n[++r],n[++r]);D.__c&&D.__c(t,e),e.some(function(i){try{e=i.__h,i.__h=[],e.some(function(o){o.call(i)})}catch(o){D.__e(o,i.__v)}})}function _t(e){return typeof e!="object"||e==null||e.__b&&e.__b>0?e:Re(e)?e.map(_t):re({},e)}function sn(e,t,n,r,i,o,c,u,l){var s,f,a,p,y,_,$,h=n.props,g=t.props,m=t.type;if(m=="svg"?i="http://www.w3.org/2000/svg":m=="math"?i="http://www.w3.org/1998/Math/MathML":i||(i="http://www.w3.org/1999/xhtml"),o!=null){for(s=0;s<o.length;s++)if((y=o[s])&&"setAttribute"in y==!!m&&(m?y.localName==m:y.nodeType==3)){e=y,o[s]=null;break}}if(e==null){if(m==null)return document.createTextNode(g);e=document.createElementNS(i,m,g.is&&g),u&&(D.__m&&D.__m(t,o),u=!1),o=null}if(m==null)h===g||u&&e.data==g||(e.data=g);else{if(o=o&&Ie.call(e.childNodes),h=n.props||ge,!u&&o!=null)for(h={},s=0;s<e.attributes.length;s++)h[(y=e.attributes[s]).name]=y.value;for(s in h)if(y=h[s],s!="children"){if(s=="dangerouslySetInnerHTML")a=y;else if(!(s in g)){if(s=="value"&&"defaultValue"in g||s=="checked"&&"defaultChecked"in g)continue;ke(e,s,null,y,i)}}for(s in g)y=g[s],s=="children"?p=y:s=="dangerouslySetInnerHTML"?f=y:s=="value"?_=y:s=="checked"?$=y:u&&typeof y!="function"||h[s]===y||ke(e,s,y,h[s],i);if(f)u||a&&(f.__html==a.__html||f.__html==e.innerHTML)||(e.innerHTML=f.__html),t.__k=[];else if(a&&(e.innerHTML=""),ft(t.type=="template"?e.content:e,Re(p)?p:[p],t,n,r,m=="foreignObject"?"http://www.w3.org/1999/xhtml":i,o,c,o?o[0]:n.__k&&fe(n,0),u,l),o!=null)for(s=o.length;s--;)Be(o[s]);u||(s="value",m=="progress"&&_==null?e.removeAttribute("value"):_!=null&&(_!==e[s]||m=="progress"&&!_||m=="option"&&_!=h[s])&&ke(e,s,_,h[s],i),s="checked",$!=null&&$!=e[s]&&ke(e,s,$,h[s],i))}return e}function je(e,t,n){try{if(typeof e=="function"){var r=typeof e.__u=="function";r&&e.__u(),r&&t==null||(e.__u=e(t))}else e.current=t}catch(i){D.__e(i,n)}}function ht(e,t,n){var r,i;if(D.unmount&&D.unmount(e),(r=e.ref)&&(r.current&&r.current!=e.__e||je(r,null,t)),(r=e.__c)!=null){if(r.componentWillUnmount)try{r.componentWillUnmount()}catch(o){D.__e(o,t)}r.base=r.__P=null}if(r=e.__k)for(i=0;i<r.length;i++)r[i]&&ht(r[i],t,n||typeof e.type!="function");n||Be(e.__e),e.__c=e.__=e.__e=void 0}function an(e,t,n){return this.constructor(e,n)}function gt(e,t,n){var r,i,o,c;t==document&&(t=document.documentElement),D.__&&D.__(e,t),i=(r=typeof n=="function")?null:n&&n.__k||t.__k,o=[],c=[],Ve(t,e=(!r&&n||t).__k=Ge(De,null,[e]),i||ge,ge,t.namespaceURI,!r&&n?[n]:i?null:t.firstChild?Ie.call(t.childNodes):null,o,!r&&n?n:i?i.__e:t.firstChild,r,c),mt(o,e,c)}Ie=dt.slice,D={__e:function(e,t,n,r){for(var i,o,c;t=t.__;)if((i=t.__c)&&!i.__)try{if((o=i.constructor)&&o.getDerivedStateFromError!=null&&(i.setState(o.getDerivedStateFromError(e)),c=i.__d),i.componentDidCatch!=null&&(i.componentDidCatch(e,r||{}),c=i.__d),c)return i.__E=i}catch(u){e=u}throw e}},at=0,en=function(e){return e!=null&&e.constructor==null},xe.prototype.setState=function(e,t){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=re({},this.state),typeof e=="function"&&(e=e(re({},n),this.props)),e&&re(n,e),e!=null&&this.__v&&(t&&this._sb.push(t),ot(this))},xe.prototype.forceUpdate=function(e){this.__v&&(this.__e=!0,e&&this.__h.push(e),ot(this))},xe.prototype.render=De,ie=[],ct=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,ut=function(e,t){return e.__v.__b-t.__v.__b},Ae.__r=0,lt=/(PointerCapture)$|Capture$/i,Ye=0,qe=it(!1),We=it(!0),tn=0;var $e,M,Je,$t,Pe=0,Tt=[],K=D,bt=K.__b,wt=K.__r,vt=K.diffed,St=K.__c,Et=K.unmount,Ct=K.__;function ze(e,t){K.__h&&K.__h(M,e,Pe||t),Pe=0;var n=M.__H||(M.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function b(e){return Pe=1,cn(At,e)}function cn(e,t,n){var r=ze($e++,2);if(r.t=e,!r.__c&&(r.__=[n?n(t):At(void 0,t),function(u){var l=r.__N?r.__N[0]:r.__[0],s=r.t(l,u);l!==s&&(r.__N=[s,r.__[1]],r.__c.setState({}))}],r.__c=M,!M.__f)){var i=function(u,l,s){if(!r.__c.__H)return!0;var f=r.__c.__H.__.filter(function(p){return!!p.__c});if(f.every(function(p){return!p.__N}))return!o||o.call(this,u,l,s);var a=r.__c.props!==u;return f.forEach(function(p){if(p.__N){var y=p.__[0];p.__=p.__N,p.__N=void 0,y!==p.__[0]&&(a=!0)}}),o&&o.call(this,u,l,s)||a};M.__f=!0;var o=M.shouldComponentUpdate,c=M.componentWillUpdate;M.componentWillUpdate=function(u,l,s){if(this.__e){var f=o;o=void 0,i(u,l,s),o=f}c&&c.call(this,u,l,s)},M.shouldComponentUpdate=i}return r.__N||r.__}function O(e,t){var n=ze($e++,3);!K.__s&&xt(n.__H,t)&&(n.__=e,n.u=t,M.__H.__h.push(n))}function ee(e){return Pe=5,un(function(){return{current:e}},[])}function un(e,t){var n=ze($e++,7);return xt(n.__H,t)&&(n.__=e(),n.__H=t,n.__h=e),n.__}function ln(){for(var e;e=Tt.shift();)if(e.__P&&e.__H)try{e.__H.__h.forEach(Oe),e.__H.__h.forEach(Qe),e.__H.__h=[]}catch(t){e.__H.__h=[],K.__e(t,e.__v)}}K.__b=function(e){M=null,bt&&bt(e)},K.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),Ct&&Ct(e,t)},K.__r=function(e){wt&&wt(e),$e=0;var t=(M=e.__c).__H;t&&(Je===M?(t.__h=[],M.__h=[],t.__.forEach(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(t.__h.forEach(Oe),t.__h.forEach(Qe),t.__h=[],$e=0)),Je=M},K.diffed=function(e){vt&&vt(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&(Tt.push(t)!==1&&$t===K.requestAnimationFrame||(($t=K.requestAnimationFrame)||dn)(ln)),t.__H.__.forEach(function(n){n.u&&(n.__H=n.u),n.u=void 0})),Je=M=null},K.__c=function(e,t){t.some(function(n){try{n.__h.forEach(Oe),n.__h=n.__h.filter(function(r){return!r.__||Qe(r)})}catch(r){t.some(function(i){i.__h&&(i.__h=[])}),t=[],K.__e(r,n.__v)}}),St&&St(e,t)},K.unmount=function(e){Et&&Et(e);var t,n=e.__c;n&&n.__H&&(n.__H.__.forEach(function(r){try{Oe(r)}catch(i){t=i}}),n.__H=void 0,t&&K.__e(t,n.__v))};var kt=typeof requestAnimationFrame=="function";function dn(e){var t,n=function(){clearTimeout(r),kt&&cancelAnimationFrame(t),setTimeout(e)},r=setTimeout(n,35);kt&&(t=requestAnimationFrame(n))}function Oe(e){var t=M,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),M=t}function Qe(e){var t=M;e.__c=e.__(),M=t}function xt(e,t){return!e||e.length!==t.length||t.some(function(n,r){return n!==e[r]})}function At(e,t){return typeof t=="function"?t(e):t}function Q(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function se(e){return Q(e)==="object"}function pn(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function Xe(e,t){return e.length<124?e:t}var It="graphql-transport-ws";var z=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(z||{}),X=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(X||{});function Rt(e){if(!se(e))throw new Error(`Message is expected to be an object, but got ${Q(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${Q(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!se(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!se(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${Q(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${Q(e.payload.query)}`);if(e.payload.variables!=null&&!se(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${Q(e.payload.variables)}`);if(e.payload.operationName!=null&&Q(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${Q(e.payload.operationName)}`);if(e.payload.extensions!=null&&!se(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${Q(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!se(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${Q(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!pn(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function Dt(e,t){return Rt(typeof e=="string"?JSON.parse(e,t):e)}function ye(e,t){return Rt(e),JSON.stringify(e,t)}function et(e){let{url:t,connectionParams:n,lazy:r=!0,onNonLazyError:i=console.error,lazyCloseTimeout:o=0,keepAlive:c=0,disablePong:u,connectionAckWaitTimeout:l=0,retryAttempts:s=5,retryWait:f=async function(N){let E=Math.pow(2,N);await new Promise(x=>setTimeout(x,E*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:a=Ze,on:p,webSocketImpl:y,generateID:_=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,N=>{let E=Math.random()*16|0;return(N=="x"?E:E&3|8).toString(16)})},jsonMessageReplacer:$,jsonMessageReviver:h}=e,g;if(y){if(!yn(y))throw new Error("Invalid WebSocket implementation provided");g=y}else typeof WebSocket<"u"?g=WebSocket:typeof global<"u"?g=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(g=window.WebSocket||window.MozWebSocket);if(!g)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");let m=g,S=(()=>{let k=(()=>{let E={};return{on(x,U){return E[x]=U,()=>{delete E[x]}},emit(x){"id"in x&&E[x.id]?.(x)}}})(),N={connecting:p?.connecting?[p.connecting]:[],opened:p?.opened?[p.opened]:[],connected:p?.connected?[p.connected]:[],ping:p?.ping?[p.ping]:[],pong:p?.pong?[p.pong]:[],message:p?.message?[k.emit,p.message]:[k.emit],closed:p?.closed?[p.closed]:[],error:p?.error?[p.error]:[]};return{onMessage:k.on,on(E,x){let U=N[E];return U.push(x),()=>{U.splice(U.indexOf(x),1)}},emit(E,...x){for(let U of[...N[E]])U(...x)}}})();function I(k){let N=[S.on("error",E=>{N.forEach(x=>x()),k(E)}),S.on("closed",E=>{N.forEach(x=>x()),k(E)})]}let L,v=0,T,w=!1,H=0,C=!1;async function F(){clearTimeout(T);let[k,N]=await(L??(L=new Promise((U,J)=>(async()=>{if(w){if(await f(H),!v)return L=void 0,J({code:1e3,reason:"All Subscriptions Gone"});H++}S.emit("connecting",w);let A=new m(typeof t=="function"?await t():t,It),le,he;function Ce(){isFinite(c)&&c>0&&(clearTimeout(he),he=setTimeout(()=>{A.readyState===m.OPEN&&(A.send(ye({type:X.Ping})),S.emit("ping",!1,void 0))},c))}I(B=>{L=void 0,clearTimeout(le),clearTimeout(he),J(B),B instanceof be&&(A.close(4499,"Terminated"),A.onerror=null,A.onclose=null)}),A.onerror=B=>S.emit("error",B),A.onclose=B=>S.emit("closed",B),A.onopen=async()=>{try{S.emit("opened",A);let B=typeof n=="function"?await n():n;if(A.readyState!==m.OPEN)return;A.send(ye(B?{type:X.ConnectionInit,payload:B}:{type:X.ConnectionInit},$)),isFinite(l)&&l>0&&(le=setTimeout(()=>{A.close(z.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},l)),Ce()}catch(B){S.emit("error",B),A.close(z.InternalClientError,Xe(B instanceof Error?B.message:String(B),"Internal client error"))}};let de=!1;A.onmessage=({data:B})=>{try{let Y=Dt(B,h);if(S.emit("message",Y),Y.type==="ping"||Y.type==="pong"){S.emit(Y.type,!0,Y.payload),Y.type==="pong"?Ce():u||(A.send(ye(Y.payload?{type:X.Pong,payload:Y.payload}:{type:X.Pong})),S.emit("pong",!1,Y.payload));return}if(de)return;if(Y.type!==X.ConnectionAck)throw new Error(`First message cannot be of type ${Y.type}`);clearTimeout(le),de=!0,S.emit("connected",A,Y.payload,w),w=!1,H=0,U([A,new Promise((qn,zt)=>I(zt))])}catch(Y){A.onmessage=null,S.emit("error",Y),A.close(z.BadResponse,Xe(Y instanceof Error?Y.message:String(Y),"Bad response"))}}})())));k.readyState===m.CLOSING&&await N;let E=()=>{},x=new Promise(U=>E=U);return[k,E,Promise.race([x.then(()=>{if(!v){let U=()=>k.close(1e3,"Normal Closure");isFinite(o)&&o>0?T=setTimeout(()=>{k.readyState===m.OPEN&&U()},o):U()}}),N])]}function j(k){if(Ze(k)&&(fn(k.code)||[z.InternalServerError,z.InternalClientError,z.BadRequest,z.BadResponse,z.Unauthorized,z.SubprotocolNotAcceptable,z.SubscriberAlreadyExists,z.TooManyInitialisationRequests].includes(k.code)))throw k;if(C)return!1;if(Ze(k)&&k.code===1e3)return v>0;if(!s||H>=s||!a(k))throw k;return w=!0}r||(async()=>{for(v++;;)try{let[,,k]=await F();await k}catch(k){try{if(!j(k))return}catch(N){return i?.(N)}}})();function ne(k,N){let E=_(k),x=!1,U=!1,J=()=>{v--,x=!0};return(async()=>{for(v++;;)try{let[A,le,he]=await F();if(x)return le();let Ce=S.onMessage(E,de=>{switch(de.type){case X.Next:{N.next(de.payload);return}case X.Error:{U=!0,x=!0,N.error(de.payload),J();return}case X.Complete:{x=!0,J();return}}});A.send(ye({id:E,type:X.Subscribe,payload:k},$)),J=()=>{!x&&A.readyState===m.OPEN&&A.send(ye({id:E,type:X.Complete},$)),v--,x=!0,le()},await he.finally(Ce);return}catch(A){if(!j(A))return}})().then(()=>{U||N.complete()}).catch(A=>{N.error(A)}),()=>{x||J()}}return{on:S.on,subscribe:ne,iterate(k){let N=[],E={done:!1,error:null,resolve:()=>{}},x=ne(k,{next(J){N.push(J),E.resolve()},error(J){E.done=!0,E.error=J,E.resolve()},complete(){E.done=!0,E.resolve()}}),U=(async function*(){for(;;){for(N.length||await new Promise(A=>E.resolve=A);N.length;)yield N.shift();if(E.error)throw E.error;if(E.done)return}})();return U.throw=async J=>(E.done||(E.done=!0,E.error=J,E.resolve()),{done:!0,value:void 0}),U.return=async()=>(x(),{done:!0,value:void 0}),U},async dispose(){if(C=!0,L){let[k]=await L;k.close(1e3,"Normal Closure")}},terminate(){L&&S.emit("closed",new be)}}}var be=class extends Error{constructor(){super(...arguments);pe(this,"name","TerminatedCloseEvent");pe(this,"message","4499: Terminated");pe(this,"code",4499);pe(this,"reason","Terminated");pe(this,"wasClean",!1)}};function Ze(e){return se(e)&&"code"in e&&"reason"in e}function fn(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function yn(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}var we=class extends Error{constructor(t,n){super(t),this.code=n}},q="error { code message field retryAfterSeconds attemptsLeft }",Le="id name method email createdAt lastUsedAt securityKey { synced backedUp aaguid suspendedAt }",ae="id method status name email expiresAt attemptsLeft resendAvailableAt",Ot=`enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { ${Le} }`,Pt={session:`query Session {
    session { nextStep expiresAt user { id email name isAdmin } authenticators { id name method } }
  }`,login:`mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      session { nextStep user { id email name isAdmin } }
      authenticators { id name method }
      ${q}
    }
  }`,logout:"mutation Logout { logout { ok } }",sendLoginCode:`mutation SendLoginCode($id: ID!) {
    sendLoginCode(authenticatorId: $id) { expiresAt resendAvailableAt ${q} }
  }`,verifyLogin:`mutation VerifyLogin($id: ID!, $code: String!) {
    verifyLogin(authenticatorId: $id, code: $code) { session { nextStep user { id email name isAdmin } } ${q} }
  }`,securityKeyOptions:`mutation SecurityKeyOptions {
    securityKeyOptions { requestOptions expiresAt ${q} }
  }`,verifyLoginWithSecurityKey:`mutation VerifyLoginWithSecurityKey($credential: JSON!) {
    verifyLoginWithSecurityKey(credential: $credential) { session { nextStep user { id email name isAdmin } } ${q} }
  }`,verifyRecoveryCode:`mutation VerifyRecoveryCode($code: String!) {
    verifyLoginWithRecoveryCode(code: $code) { session { nextStep user { id email name isAdmin } } ${q} }
  }`,myTwoFactor:`query MyTwoFactor { myTwoFactor { ${Ot} } }`,setUpEmail:`mutation SetUpEmail($name: String!, $code: String) {
    myTwoFactor { setUpEmail(name: $name, code: $code) { setup { ${ae} } ${q} } }
  }`,setUpApp:`mutation SetUpApp($code: String) {
    myTwoFactor { setUpApp(code: $code) {
      setup { ${ae} app { setupKey otpauthUri qrCodePng digits period } } ${q}
    } }
  }`,setUpSecurityKey:`mutation SetUpSecurityKey($name: String!, $code: String) {
    myTwoFactor { setUpSecurityKey(name: $name, code: $code) {
      setup { ${ae} securityKey { creationOptions } } ${q}
    } }
  }`,submitSecurityKey:`mutation SubmitSecurityKey($setupId: ID!, $credential: JSON!, $name: String) {
    myTwoFactor { submitSecurityKey(setupId: $setupId, credential: $credential, name: $name) {
      authenticator { ${Le} } message recoveryCodes setup { ${ae} } ${q}
    } }
  }`,resendCode:`mutation ResendCode($setupId: ID!) {
    myTwoFactor { resendCode(setupId: $setupId) { setup { ${ae} } ${q} } }
  }`,submitCode:`mutation SubmitCode($setupId: ID!, $code: String!, $name: String) {
    myTwoFactor { submitCode(setupId: $setupId, code: $code, name: $name) {
      authenticator { ${Le} } message recoveryCodes setup { ${ae} } ${q}
    } }
  }`,cancelSetup:`mutation CancelSetup($setupId: ID!) {
    myTwoFactor { cancelSetup(setupId: $setupId) { setup { id status } ${q} } }
  }`,edit:`mutation Edit($id: ID!, $name: String!) {
    myTwoFactor { edit(id: $id, name: $name) { authenticator { ${Le} } ${q} } }
  }`,remove:`mutation Remove($id: ID!, $code: String) {
    myTwoFactor { remove(id: $id, code: $code) { removedId ${q} } }
  }`,regenerate:`mutation RegenerateRecoveryCodes($code: String) {
    myTwoFactor { regenerateRecoveryCodes(code: $code) { recoveryCodes ${q} } }
  }`,mySessions:"query MySessions { mySessions { id device ip createdAt lastSeenAt current nextStep } }",endSession:`mutation EndSession($id: ID!) { endSession(id: $id) { endedIds ${q} } }`,endOtherSessions:`mutation EndOtherSessions { endOtherSessions { endedIds ${q} } }`,verification:`subscription Verification($setupId: ID!) {
    myTwoFactorVerification(setupId: $setupId) { ${ae} }
  }`,changed:`subscription Changed { myTwoFactorChanged { ${Ot} } }`,policy:"query Policy { twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } }",setPolicy:`mutation SetPolicy($input: TwoFactorPolicyInput!) {
    admin { setTwoFactorPolicy(input: $input) { policy { mandatory enabledMethods recoveryCodesEnabled } ${q} } }
  }`,userByEmail:"query UserByEmail($email: String!) { admin { user(email: $email) { id email name isAdmin } } }",resetUser:`mutation ResetUser($userId: ID!, $code: String) {
    admin { resetUserTwoFactor(userId: $userId, code: $code) { user { id email } ${q} } }
  }`,auditEvents:`query AuditEvents($after: String) {
    admin { auditEvents(first: 20, after: $after) {
      events { id action createdAt actorId targetId ip details } nextCursor
    } }
  }`};async function W(e,t={}){let n;try{n=await fetch("/graphql",{method:"POST",credentials:"same-origin",headers:{"Content-Type":"application/json",Accept:"application/json"},body:JSON.stringify({query:Pt[e],variables:t})})}catch{throw new we("The server cannot be reached. Check your connection and try again.","NETWORK")}let r;try{r=await n.json()}catch{throw new we(`The server answered ${n.status}. Try again shortly.`,"SERVER")}if(r.errors&&r.errors.length){let i=r.errors[0],o=i.extensions&&i.extensions.code||"SERVER";throw new we(i.message,o)}return r.data}var me=null;function mn(){if(me===null){let e=window.location.protocol==="https:"?"wss://":"ws://";me=et({url:e+window.location.host+"/graphql",lazy:!0,retryAttempts:5,shouldRetry:t=>!(t&&typeof t.code=="number"&&t.code>=4400&&t.code<4500)})}return me}function tt(e,t,n,r){return mn().subscribe({query:Pt[e],variables:t},{next:i=>{i.data&&n(i.data)},error:()=>r&&r(),complete:()=>r&&r()})}function nt(){me!==null&&(me.dispose(),me=null)}var Nt=function(e,t,n,r){var i;t[0]=0;for(var o=1;o<t.length;o++){var c=t[o++],u=t[o]?(t[0]|=c?1:2,n[t[o++]]):t[++o];c===3?r[0]=u:c===4?r[1]=Object.assign(r[1]||{},u):c===5?(r[1]=r[1]||{})[t[++o]]=u:c===6?r[1][t[++o]]+=u+"":c?(i=e.apply(u,Nt(e,u,n,["",null])),r.push(i),u[0]?t[0]|=2:(t[o-2]=0,t[o]=i)):r.push(u)}return r},Lt=new Map;function Ft(e){var t=Lt.get(this);return t||(t=new Map,Lt.set(this,t)),(t=Nt(this,t.get(e)||(t.set(e,t=(function(n){for(var r,i,o=1,c="",u="",l=[0],s=function(p){o===1&&(p||(c=c.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?l.push(0,p,c):o===3&&(p||c)?(l.push(3,p,c),o=2):o===2&&c==="..."&&p?l.push(4,p,0):o===2&&c&&!p?l.push(5,0,!0,c):o>=5&&((c||!p&&o===5)&&(l.push(o,0,c,i),o=6),p&&(l.push(o,p,0,i),o=6)),c=""},f=0;f<n.length;f++){f&&(o===1&&s(),s(f));for(var a=0;a<n[f].length;a++)r=n[f][a],o===1?r==="<"?(s(),l=[l],o=3):c+=r:o===4?c==="--"&&r===">"?(o=1,c=""):c=r+c[0]:u?r===u?u="":c+=r:r==='"'||r==="'"?u=r:r===">"?(s(),o=1):o&&(r==="="?(o=5,i=c,c=""):r==="/"&&(o<5||n[f][a+1]===">")?(s(),o===3&&(l=l[0]),o=l,(l=l[0]).push(2,0,o),o=0):r===" "||r==="	"||r===`
`||r==="\r"?(s(),o=2):c+=r),o===3&&c==="!--"&&(o=4,l=l[0])}return s(),l})(e)),t),arguments,[])).length>1?t:t[0]}var d=Ft.bind(Ge),Ne={EMAIL:"Email",APP:"Authenticator app",SECURITY_KEY:"Security key or passkey"};function Fe(e){return Ne[e]||e.charAt(0)+e.slice(1).toLowerCase().replace(/_/g," ")}function oe(e){return e?new Date(e).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):"Never"}function ve(e){let t=()=>e?Math.max(0,Math.ceil((e.getTime()-Date.now())/1e3)):0,[n,r]=b(t());return O(()=>{if(r(t()),!e)return;let i=setInterval(()=>{let o=t();r(o),o===0&&clearInterval(i)},1e3);return()=>clearInterval(i)},[e&&e.getTime()]),n}function _n(e){return e?new Date(Date.now()+e*1e3):null}function P(e){return e?{code:e.code,message:e.message,retryAt:_n(e.retryAfterSeconds),wait:e.retryAfterSeconds||null,attemptsLeft:e.attemptsLeft}:null}function hn(e){return e<90?`${e} ${e===1?"second":"seconds"}`:`${Math.ceil(e/60)} minutes`}function R({error:e}){let t=ve(e?e.retryAt:null);return e?d`<p class="error">
    <span role="alert">
      ${e.message}
      ${e.wait?d` <span class="visually-hidden">You can try again in ${hn(e.wait)}.</span>`:null}
      ${e.attemptsLeft!=null&&e.attemptsLeft>0?d` <span class="attempts">${e.attemptsLeft} ${e.attemptsLeft===1?"try":"tries"} left.</span>`:null}
    </span>
    ${t>0?d` <span class="wait" aria-hidden="true">Try again in ${t} s.</span>`:null}
  </p>`:null}function G({id:e,label:t,hint:n,...r}){return d`<div class="field">
    <label for=${e}>${t}</label>
    <input id=${e} name=${e} ...${r} aria-describedby=${n?`${e}-hint`:void 0} />
    ${n?d`<p class="hint" id=${`${e}-hint`}>${n}</p>`:null}
  </div>`}var Se={inputmode:"numeric",autocomplete:"one-time-code",pattern:"[0-9 ]*",maxlength:8,required:!0};function Ee(){let e=ee(null);return O(()=>{e.current&&e.current.focus()},[]),e}var te=class extends Error{constructor(t,n){super(t),this.code=n}},Ut="This browser cannot use security keys or passkeys. Use a current Chrome, Edge, Firefox or Safari, or another method.";function Me(){return!!(window.isSecureContext&&window.PublicKeyCredential&&navigator.credentials&&navigator.credentials.create)}function Ue(e){let t=e.replace(/-/g,"+").replace(/_/g,"/")+"===".slice((e.length+3)%4);return Uint8Array.from(atob(t),n=>n.charCodeAt(0)).buffer}function _e(e){let t="";for(let n of new Uint8Array(e))t+=String.fromCharCode(n);return btoa(t).replace(/\+/g,"-").replace(/\//g,"_").replace(/=+$/,"")}var Mt=e=>(e||[]).map(t=>({...t,id:Ue(t.id)}));function Kt(e){return typeof e=="string"?JSON.parse(e):e}function gn(e){return typeof PublicKeyCredential.parseCreationOptionsFromJSON=="function"?PublicKeyCredential.parseCreationOptionsFromJSON(e):{...e,challenge:Ue(e.challenge),user:{...e.user,id:Ue(e.user.id)},excludeCredentials:Mt(e.excludeCredentials)}}function $n(e){return typeof PublicKeyCredential.parseRequestOptionsFromJSON=="function"?PublicKeyCredential.parseRequestOptionsFromJSON(e):{...e,challenge:Ue(e.challenge),allowCredentials:Mt(e.allowCredentials)}}function qt(e){if(typeof e.toJSON=="function")return e.toJSON();let t=e.response,n={clientDataJSON:_e(t.clientDataJSON)};return t.attestationObject?(n.attestationObject=_e(t.attestationObject),n.transports=typeof t.getTransports=="function"?t.getTransports():[]):(n.authenticatorData=_e(t.authenticatorData),n.signature=_e(t.signature),t.userHandle&&(n.userHandle=_e(t.userHandle))),{id:e.id,rawId:_e(e.rawId),type:e.type,authenticatorAttachment:e.authenticatorAttachment||void 0,clientExtensionResults:e.getClientExtensionResults(),response:n}}function Wt(e,t){let n=e&&e.name;return n==="NotAllowedError"||n==="AbortError"?new te(t?"The security key prompt was cancelled or timed out. Nothing was added. Try again when your key is ready.":"The security key prompt was cancelled or timed out, or this key is not one of yours. Try again, or use another way.","KEY_CANCELLED"):n==="InvalidStateError"?new te("This security key is already registered to your account. Use another key.","KEY_REGISTERED"):n==="SecurityError"?new te("Security keys do not work at this page's address. Ask your administrator to check the server's WebAuthn settings.","KEY_ORIGIN"):n==="NotSupportedError"?new te("This device or browser cannot create the kind of key asked for. Try another key.","KEY_UNSUPPORTED"):new te(`The security key did not answer: ${e&&e.message||e}.`,"KEY_FAILED")}async function Ht(e){if(!Me())throw new te(Ut,"KEY_UNSUPPORTED");let t;try{t=await navigator.credentials.create({publicKey:gn(Kt(e))})}catch(n){throw Wt(n,!0)}if(!t)throw new te("The browser gave no credential. Try again.","KEY_FAILED");return qt(t)}async function bn(e){if(!Me())throw new te(Ut,"KEY_UNSUPPORTED");let t;try{t=await navigator.credentials.get({publicKey:$n(Kt(e))})}catch(n){throw Wt(n,!1)}if(!t)throw new te("The browser gave no credential. Try again.","KEY_FAILED");return qt(t)}async function Ke(){try{let e=(await W("securityKeyOptions")).securityKeyOptions;if(e.error)return{error:P(e.error)};let t=await bn(e.requestOptions),n=(await W("verifyLoginWithSecurityKey",{credential:t})).verifyLoginWithSecurityKey;return n.error?{error:P(n.error)}:{payload:n}}catch(e){return{error:P(e)}}}async function V(e,t,n){try{let r=n(await W(e,t));return r.error?{error:P(r.error)}:{payload:r}}catch(r){return{error:P(r)}}}var Z=e=>t=>t.myTwoFactor[e];function Yt({user:e,step:t,live:n,arrived:r,onSessionChanged:i}){let[o,c]=b(null),[u,l]=b(null),[s,f]=b(null),[a,p]=b(null),[y,_]=b(null),$=ee({}),h=ee(null),g=ee(null);O(()=>{let w=g.current&&g.current();w&&(g.current=null,w.focus())});function m(w){_(null),f(w)}function S(){let w=s;g.current=()=>$.current[w],f(null)}async function I(){try{c((await W("myTwoFactor")).myTwoFactor),l(null)}catch(w){w.code==="FORBIDDEN"||w.code==="UNAUTHENTICATED"?i():l(P(w))}}let L=ee(null),v=ee(!r);if(O(()=>{!v.current&&L.current&&(v.current=!0,L.current.focus())},[o]),O(()=>{I()},[n]),O(()=>{if(t==="DONE")return tt("changed",{},w=>c(w.myTwoFactorChanged),i)},[t,n]),o===null)return u?d`<section class="card"><${R} error=${u} />
          <button type="button" onClick=${I}>Try again</button></section>`:d`<p role="status">Loading…</p>`;function T(w){S(),_(w.message),w.recoveryCodes&&(g.current=null,p(w.recoveryCodes)),I(),t!=="DONE"&&i()}return d`<section class="card" aria-labelledby="your-2fa-title">
    <h1 id="your-2fa-title" tabindex="-1" ref=${L}>Your 2FA</h1>
    <${R} error=${u} />
    <p>
      ${o.enabled?"Two-factor authentication is on.":"Two-factor authentication is off."}
      ${o.mandatory?" Your administrators require it.":""}
    </p>
    ${o.setupRequired?d`<p class="notice" role="status">Set up two-factor authentication to continue using your account.</p>`:null}
    ${y?d`<p class="success" role="status">${y}</p>`:null}
    ${a?d`<${Dn} codes=${a}
          onDone=${()=>{g.current=()=>h.current,p(null)}} />`:null}

    <h2 tabindex="-1" ref=${h}>Authenticators</h2>
    ${o.authenticators.length?d`<ul class="authenticators" aria-label="Your authenticators">
          ${o.authenticators.map(w=>d`<${En} key=${w.id} authenticator=${w} all=${o.authenticators}
              onChanged=${I} onNotice=${_} />`)}
        </ul>`:d`<p class="muted">No authenticators yet.</p>`}

    <h2>Add an authenticator</h2>
    ${s===null?d`<div class="row">
          ${o.availableMethods.includes("EMAIL")?d`<button type="button" ref=${w=>{$.current.EMAIL=w}} onClick=${()=>m("EMAIL")}>Email Authentication</button>`:null}
          ${o.availableMethods.includes("APP")?d`<button type="button" ref=${w=>{$.current.APP=w}} onClick=${()=>m("APP")}>Authenticator App</button>`:null}
          ${o.availableMethods.includes("SECURITY_KEY")?d`<button type="button" ref=${w=>{$.current.SECURITY_KEY=w}} onClick=${()=>m("SECURITY_KEY")}>Security Key or Passkey</button>`:null}
          ${o.availableMethods.length===0?d`<p class="muted">Your administrators have turned off every method.</p>`:null}
        </div>`:s==="EMAIL"?d`<${xn} user=${e} authenticators=${o.authenticators} onCreated=${T} onCancel=${S} />`:s==="APP"?d`<${In} authenticators=${o.authenticators} onCreated=${T} onCancel=${S} />`:d`<${Rn} authenticators=${o.authenticators} onCreated=${T} onCancel=${S} />`}

    ${o.enabled?d`<h2>Recovery codes</h2>
        <p>${o.recoveryCodesRemaining} unused recovery ${o.recoveryCodesRemaining===1?"code":"codes"} left.</p>
        <${On} authenticators=${o.authenticators} onCodes=${w=>{p(w),I()}} />`:null}
    ${t==="DONE"?d`<${wn} />`:null}
  </section>`}function wn(){let[e,t]=b(null),[n,r]=b(null),[i,o]=b(null);async function c(){try{t((await W("mySessions")).mySessions)}catch(s){r(P(s))}}O(()=>{c()},[]);async function u(s,f,a){let p=await V(s,f,a);if(p.error)r(p.error);else{r(null);let y=p.payload.endedIds.length;o(y===1?"The device was signed out.":`${y} devices were signed out.`),c()}}if(e===null)return d`<${R} error=${n} />`;let l=e.filter(s=>!s.current);return d`<h2>Where you are signed in</h2>
    ${i?d`<p class="success" role="status">${i}</p>`:null}
    <ul class="authenticators sessions" aria-label="Your sessions">
      ${e.map(s=>d`<li class="authenticator" key=${s.id}>
        <div class="details">
          <strong>${s.device}${s.current?d` <span class="badge">This device</span>`:null}</strong>
          <span class="muted">${s.ip||"Unknown address"} · Signed in ${oe(s.createdAt)} · Last seen ${oe(s.lastSeenAt)}</span>
          ${s.nextStep!=="DONE"?d`<span class="muted">Still signing in</span>`:null}
        </div>
        ${s.current?null:d`<div class="row actions">
          <button type="button" onClick=${()=>u("endSession",{id:s.id},f=>f.endSession)}
            aria-label=${`Sign out ${s.device}, signed in ${oe(s.createdAt)}`}>Sign out</button>
        </div>`}
      </li>`)}
    </ul>
    <${R} error=${n} />
    ${l.length?d`<button type="button" onClick=${()=>u("endOtherSessions",{},s=>s.endOtherSessions)}>Sign out all other devices</button>`:null}`}var vn=e=>e.method==="SECURITY_KEY"&&!(e.securityKey&&e.securityKey.suspendedAt);function ce({authenticators:e,error:t,busy:n,onCode:r,onRetry:i,onCancel:o}){let c=e.find(h=>h.method==="EMAIL"),u=i&&e.some(vn),[l,s]=b(null),[f,a]=b(null),[p,y]=b(!1);async function _(){let h=await V("sendLoginCode",{id:c.id},g=>g.sendLoginCode);s(h.error?h.error:{message:"We emailed you a code."})}async function $(){y(!0),a(null);let h=await Ke();y(!1),h.error?a(h.error):i()}return d`<form class="fresh" onSubmit=${h=>{h.preventDefault(),r(new FormData(h.currentTarget).get("fresh-code"))}}>
    <p>For your security, confirm it is you: ${u?"use your security key, or ":""}enter a current code from one of your authenticators, or a recovery code.</p>
    ${u?d`<div class="row"><button type="button" class="primary" onClick=${$} disabled=${p||n}>Use security key</button></div>
      <${R} error=${f} />`:null}
    ${c?d`<p><button type="button" onClick=${_}>Email me a code</button>
      ${l?d` <span role="status">${l.message}</span>`:null}</p>`:null}
    <${G} id="fresh-code" label="Current code" autocomplete="one-time-code" required maxlength="20" />
    <${R} error=${t} />
    <div class="row">
      <button type="submit" class="primary" disabled=${n}>Confirm</button>
      <button type="button" onClick=${o}>Cancel</button>
    </div>
  </form>`}function ue(e){let[t,n]=b({needCode:!1,error:null,busy:!1});async function r(i){n({...t,busy:!0,error:null});let o=await e(i||null);return o.error&&o.error.code==="FRESH_CODE_REQUIRED"?(n({needCode:!0,error:i?o.error:null,busy:!1}),null):(n({needCode:t.needCode&&!!o.error,error:o.error||null,busy:!1}),o.error?null:o.payload)}return[t,r,()=>n({needCode:!1,error:null,busy:!1})]}function Sn(e){return e.synced?"Passkey, synced":"Security key, this device only"}function En({authenticator:e,all:t,onChanged:n,onNotice:r}){let[i,o]=b(!1),[c,u]=b(null),[l,s]=b(!1),[f,a,p]=ue(m=>V("remove",{id:e.id,code:m},Z("remove"))),y=`name-${e.id}`;async function _(m){m.preventDefault();let S=new FormData(m.currentTarget).get(y),I=await V("edit",{id:e.id,name:S},Z("edit"));I.error?u(I.error):(o(!1),u(null),r("The authenticator was renamed."),n())}async function $(m){await a(m)&&(r(`"${e.name}" was removed.`),n())}let h=e.securityKey,g=!!(h&&h.suspendedAt);return d`<li class=${g?"authenticator suspended":"authenticator"}>
    <div class="details">
      <strong>${e.name}${g?d` <span class="badge badge-danger">Suspended</span>`:null}</strong>
      <span class="muted">${h?Sn(h):Fe(e.method)}${e.email?` \xB7 ${e.email}`:""}</span>
      <span class="muted">Added ${oe(e.createdAt)} · Last used ${oe(e.lastUsedAt)}</span>
      ${g?d`<p class="error">Suspended ${oe(h.suspendedAt)}: this key's signature counter went backwards, which a
            copied key would do, so it no longer signs you in. Remove it, and set up your key again (or another one).</p>`:null}
    </div>
    ${i?d`<form class="row" onSubmit=${_}>
          <${G} id=${y} label="New name" value=${e.name} maxlength="64" required />
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick=${()=>{o(!1),u(null)}}>Cancel</button>
          <${R} error=${c} />
        </form>`:l?f.needCode?d`<${ce} authenticators=${t} error=${f.error} busy=${f.busy}
              onCode=${$} onRetry=${()=>$(null)}
              onCancel=${()=>{s(!1),p()}} />`:d`<div class="row">
              <span>Remove "${e.name}"?</span>
              <button type="button" class="danger" onClick=${()=>$(null)} disabled=${f.busy}>Yes, remove</button>
              <button type="button" onClick=${()=>{s(!1),p()}}>Cancel</button>
              <${R} error=${f.error} />
            </div>`:d`<div class="row actions">
            <button type="button" onClick=${()=>o(!0)} aria-label=${`Edit ${e.name}`}>Edit</button>
            <button type="button" onClick=${()=>s(!0)} aria-label=${`Remove ${e.name}`}>Remove</button>
          </div>`}
  </li>`}var Cn={PENDING:"Sending the code\u2026",CODE_SENT:"We emailed you a code. It is valid for 10 minutes.",DELIVERY_FAILED:"We could not deliver the code. Send it again.",VERIFIED:"Verified.",EXPIRED:"The code expired. Start again.",LOCKED:"Too many wrong codes. Start again.",CANCELLED:"This set-up was cancelled."},Bt=new Set(["EXPIRED","LOCKED","CANCELLED"]),kn={EXPIRED:"This set-up expired before it was finished: its QR code and setup key no longer work. If you scanned it, remove that entry from your app, then start again.",LOCKED:"Too many wrong codes: this QR code and setup key no longer work. If you scanned it, remove that entry from your app, then start again.",CANCELLED:"This set-up was cancelled."},Tn={CODE_EXPIRED:"EXPIRED",TOO_MANY_ATTEMPTS:"LOCKED"};function Gt(e){let[t,n]=b(e);return O(()=>{if(n(e),!!e)return tt("verification",{setupId:e.id},r=>n(r.myTwoFactorVerification))},[e&&e.id]),[t,n]}function xn({user:e,authenticators:t,onCreated:n,onCancel:r}){let[i,o]=b(""),[c,u]=b(null),[l,s]=Gt(c),[f,a]=b(null),[p,y]=b(!1),[_,$]=ue(v=>V("setUpEmail",{name:i,code:v},Z("setUpEmail"))),h=ve(l&&l.resendAvailableAt?new Date(l.resendAvailableAt):null);async function g(v){v.preventDefault();let T=await $(null);T&&u(T.setup)}async function m(){a(null),u(null);let v=await $(null);v&&u(v.setup)}async function S(){let v=await V("resendCode",{setupId:l.id},Z("resendCode"));v.error?a(v.error):(a(null),s(v.payload.setup))}async function I(v){v.preventDefault(),y(!0);let T=new FormData(v.currentTarget).get("email-code"),w=await V("submitCode",{setupId:l.id,code:T},Z("submitCode"));y(!1),w.error?a(w.error):n(w.payload)}let L=Ee();return d`<div class="setup" aria-labelledby="email-setup-title">
    <h3 id="email-setup-title" tabindex="-1" ref=${L}>Email Authentication</h3>
    ${l?d`<${An} setup=${l} error=${f} busy=${p} resendIn=${h}
        onSubmit=${I} onResend=${S} onRestart=${m} onCancel=${r} />`:_.needCode?d`<${ce} authenticators=${t} error=${_.error} busy=${_.busy}
            onCode=${async v=>{let T=await $(v);T&&u(T.setup)}}
            onRetry=${async()=>{let v=await $(null);v&&u(v.setup)}} onCancel=${r} />`:d`<form onSubmit=${g}>
            <${G} id="email-name" label="Name" value=${i} onInput=${v=>o(v.currentTarget.value)}
              maxlength="64" required hint="For example: Work email" />
            <${G} id="email-address" label="Email" value=${e.email} readonly
              hint="Codes go to the address you sign in with." />
            <${R} error=${_.error} />
            <div class="row">
              <button type="submit" class="primary" disabled=${_.busy}>Send code</button>
              <button type="button" onClick=${r}>Cancel</button>
            </div>
          </form>`}
  </div>`}function An({setup:e,error:t,busy:n,resendIn:r,onSubmit:i,onResend:o,onRestart:c,onCancel:u}){let l=Bt.has(e.status);return O(()=>{let s=document.getElementById("email-code");s&&s.focus()},[]),d`
    <p role="status" aria-live="polite" class=${`status status-${e.status.toLowerCase()}`} data-status=${e.status}>
      ${Cn[e.status]||e.status}
    </p>
    ${l?d`<div class="row">
          ${e.status==="CANCELLED"?null:d`<button type="button" class="primary" onClick=${c}>Start again</button>`}
          <button type="button" onClick=${u}>Close</button>
        </div>`:d`<form onSubmit=${i}>
          <${G} id="email-code" label="Code from the email" ...${Se} />
          <${R} error=${t} />
          <div class="row">
            <button type="submit" class="primary" disabled=${n}>Submit Code and Create</button>
            <button type="button" onClick=${o} disabled=${r>0}>
              ${r>0?`Resend code (${r} s)`:"Resend code"}
            </button>
            <button type="button" onClick=${async()=>{await V("cancelSetup",{setupId:e.id},Z("cancelSetup")),u()}}>Cancel</button>
          </div>
        </form>`}`}function In({authenticators:e,onCreated:t,onCancel:n}){let[r,i]=b(null),[o]=Gt(r),[c,u]=b(null),[l,s]=b(null),[f,a]=b(!1),[p,y]=ue(T=>V("setUpApp",{code:T},Z("setUpApp"))),_=Ee(),$=ee(null);function h(){y(null).then(T=>T&&i(T.setup))}O(h,[]);let m=(o&&r&&o.id===r.id&&Bt.has(o.status)?o.status:null)||c&&Tn[c.code]||null;O(()=>{m&&$.current&&document.activeElement===document.body&&$.current.focus()},[m]);function S(){i(null),u(null),s(null),_.current&&_.current.focus(),h()}async function I(){s(await Vt(r.app.setupKey.replace(/\s+/g,"")))}async function L(T){T.preventDefault();let w=new FormData(T.currentTarget);a(!0);let H=await V("submitCode",{setupId:r.id,code:w.get("app-code"),name:w.get("app-name")},Z("submitCode"));a(!1),H.error?u(H.error):t(H.payload)}let v;return p.needCode?v=d`<${ce} authenticators=${e} error=${p.error} busy=${p.busy}
      onCode=${async T=>{let w=await y(T);w&&i(w.setup)}}
      onRetry=${async()=>{let T=await y(null);T&&i(T.setup)}} onCancel=${n} />`:r?m?v=d`<p role="status" class="status status-expired">${kn[m]}</p>
      <div class="row">
        ${m==="CANCELLED"?null:d`<button type="button" class="primary" ref=${$} onClick=${S}>Start again</button>`}
        <button type="button" onClick=${n}>Close</button>
      </div>`:v=d`<ol class="steps">
        <li>Scan the QR code with your authenticator app.
          <img class="qr" src=${r.app.qrCodePng} width="200" height="200"
            alt="QR code to scan with your authenticator app" /></li>
        <li>Or type the setup key:
          <code class="setup-key" data-testid="setup-key">${r.app.setupKey}</code>
          <button type="button" onClick=${I}>${l?"Copied":"Copy key"}</button>
          <span role="status" class="hint">${l===!1?"This browser could not copy it: type the setup key into your app, or select it and copy it.":""}</span></li>
        <li>Name it and enter the ${r.app.digits}-digit code the app shows.</li>
      </ol>
      <form onSubmit=${L}>
        <${G} id="app-name" label="Name" maxlength="64" required hint="For example: My phone" />
        <${G} id="app-code" label="Code from your app" ...${Se} />
        <${R} error=${c} />
        <div class="row">
          <button type="submit" class="primary" disabled=${f}>Submit Code and Create</button>
          <button type="button" onClick=${async()=>{await V("cancelSetup",{setupId:r.id},Z("cancelSetup")),n()}}>Cancel</button>
        </div>
      </form>`:v=p.error?d`<${R} error=${p.error} /><button type="button" onClick=${n}>Close</button>`:d`<p role="status">Preparing…</p>`,d`<div class="setup" aria-labelledby="app-setup-title">
    <h3 id="app-setup-title" tabindex="-1" ref=${_}>Authenticator App</h3>
    ${v}
  </div>`}function Rn({authenticators:e,onCreated:t,onCancel:n}){let[r,i]=b(""),[o,c]=b(null),[u,l]=b(!1),[s,f]=ue($=>V("setUpSecurityKey",{name:r,code:$},Z("setUpSecurityKey"))),a=Me();async function p($){if(!$)return;let h=$.setup;l(!0);let g;try{g=await Ht(h.securityKey.creationOptions)}catch(S){l(!1),c(P(S)),await V("cancelSetup",{setupId:h.id},Z("cancelSetup"));return}let m=await V("submitSecurityKey",{setupId:h.id,credential:g,name:r},Z("submitSecurityKey"));l(!1),m.error?c(m.error):t(m.payload)}async function y($){$.preventDefault(),c(null),await p(await f(null))}let _=Ee();return d`<div class="setup" aria-labelledby="key-setup-title">
    <h3 id="key-setup-title" tabindex="-1" ref=${_}>Security key or passkey</h3>
    ${s.needCode?d`<${ce} authenticators=${e} error=${s.error} busy=${s.busy}
          onCode=${async $=>p(await f($))} onRetry=${async()=>p(await f(null))} onCancel=${n} />`:d`<p>A security key (such as a YubiKey) or a passkey on this device or your phone signs you in with a touch
          or your fingerprint, face or screen lock. It works only on this site, so a look-alike page cannot use it.</p>
        ${a?null:d`<p class="error" role="alert">This browser cannot use security keys or passkeys. Use a current Chrome, Edge,
              Firefox or Safari, or another method.</p>`}
        <form onSubmit=${y}>
          <${G} id="key-name" label="Name" value=${r} onInput=${$=>i($.currentTarget.value)}
            maxlength="64" required hint="For example: YubiKey or This laptop" />
          ${u?d`<p role="status" class="status">Touch your security key, or confirm on your device…</p>`:null}
          <${R} error=${o||s.error} />
          <div class="row">
            <button type="submit" class="primary" disabled=${!a||s.busy||u}>Add security key</button>
            <button type="button" onClick=${n}>Cancel</button>
          </div>
        </form>`}
  </div>`}async function Vt(e){try{return await navigator.clipboard.writeText(e),!0}catch{return!1}}function Dn({codes:e,onDone:t}){let[n,r]=b(null),i=e.join(`
`)+`
`,o=URL.createObjectURL(new Blob([i],{type:"text/plain"}));O(()=>()=>URL.revokeObjectURL(o),[o]);let c=Ee();return d`<div class="recovery" role="region" aria-labelledby="recovery-title">
    <h2 id="recovery-title" tabindex="-1" ref=${c}>Your recovery codes</h2>
    <p>Each code signs you in once if you lose your authenticators. Save them somewhere safe now: they are not shown again.</p>
    <ul class="codes">${e.map(u=>d`<li><code>${u}</code></li>`)}</ul>
    <div class="row">
      <button type="button" onClick=${async()=>r(await Vt(i))}>
        ${n?"Copied":"Copy codes"}
      </button>
      <a class="button" href=${o} download="twofactor-recovery-codes.txt">Download codes</a>
      <button type="button" class="primary" onClick=${t}>I saved them</button>
    </div>
    <p role="status" class="hint">${n===!1?"This browser could not copy them: use Download codes, or select them and copy them.":""}</p>
  </div>`}function On({authenticators:e,onCodes:t}){let[n,r]=b(!1),[i,o,c]=ue(l=>V("regenerate",l?{code:l}:{},Z("regenerateRecoveryCodes")));async function u(l){let s=await o(l);s&&(r(!1),c(),t(s.recoveryCodes))}return i.needCode?d`<${ce} authenticators=${e} error=${i.error} busy=${i.busy}
      onCode=${u} onRetry=${()=>u(null)} onCancel=${()=>{r(!1),c()}} />`:n?d`<div class="row">
    <span>New codes replace all the old ones.</span>
    <button type="button" class="danger" onClick=${()=>u(null)} disabled=${i.busy}>Regenerate</button>
    <button type="button" onClick=${()=>r(!1)}>Cancel</button>
    <${R} error=${i.error} />
  </div>`:d`<button type="button" onClick=${()=>r(!0)}>Regenerate recovery codes</button>`}function jt(){let[e,t]=b(0),n=()=>t(r=>r+1);return d`<section class="card" aria-labelledby="admin-title">
    <h1 id="admin-title">Administration</h1>
    <${Pn} onChanged=${n} />
    <${Ln} onChanged=${n} />
    <${Nn} changes=${e} />
  </section>`}function Pn({onChanged:e}){let[t,n]=b(null),[r,i]=b(null),[o,c]=b(!1);O(()=>{W("policy").then(s=>n(s.twoFactorPolicy),s=>i(P(s)))},[]);let u=t?[...Object.keys(Ne),...t.enabledMethods.filter(s=>!(s in Ne))]:[];async function l(s){s.preventDefault();let f=new FormData(s.currentTarget),a={mandatory:f.get("mandatory")==="on",enabledMethods:u.filter(p=>f.get(`method-${p}`)==="on"),recoveryCodesEnabled:f.get("recovery")==="on"};c(!1);try{let p=(await W("setPolicy",{input:a})).admin.setTwoFactorPolicy;p.error?i(P(p.error)):(n(p.policy),i(null),c(!0),e())}catch(p){i(P(p))}}return t===null?d`<${R} error=${r} />`:d`<form onSubmit=${l} aria-labelledby="policy-title">
    <h2 id="policy-title">Policy</h2>
    <label class="choice"><input type="checkbox" name="mandatory" checked=${t.mandatory} /> Two-factor authentication is mandatory</label>
    <fieldset>
      <legend>Methods users may set up</legend>
      ${u.map(s=>d`<label class="choice" key=${s}><input type="checkbox" name=${`method-${s}`}
          checked=${t.enabledMethods.includes(s)} /> ${Fe(s)}</label>`)}
    </fieldset>
    <label class="choice"><input type="checkbox" name="recovery" checked=${t.recoveryCodesEnabled} /> Recovery codes</label>
    <${R} error=${r} />
    ${o?d`<p class="success" role="status">The policy was saved.</p>`:null}
    <button type="submit" class="primary">Save policy</button>
  </form>`}function Ln({onChanged:e}){let[t,n]=b(null),[r,i]=b(null),[o,c]=b(null),[u,l]=b([]),[s,f,a]=ue(async _=>{try{let $=(await W("resetUser",{userId:t.id,code:_})).admin.resetUserTwoFactor;return $.error?{error:P($.error)}:{payload:$}}catch($){return{error:P($)}}});async function p(_){_.preventDefault(),c(null),i(null);let $=new FormData(_.currentTarget).get("reset-email");try{let h=(await W("userByEmail",{email:$})).admin.user;n(h),h||i({message:"No user has that email address."})}catch(h){i(P(h))}}O(()=>{s.needCode&&W("myTwoFactor").then(_=>l(_.myTwoFactor.authenticators),()=>l([]))},[s.needCode]);async function y(_){await f(_)&&(c(`The two-factor authentication of ${t.email} was reset. They can sign in with their password and set it up again.`),n(null),a(),e())}return d`<div aria-labelledby="reset-title">
    <h2 id="reset-title">Reset a user's 2FA</h2>
    <p class="muted">For a user who lost access: removes their authenticators and recovery codes and ends their sessions.</p>
    <form class="row" onSubmit=${p}>
      <${G} id="reset-email" label="User's email" type="email" required />
      <button type="submit">Find user</button>
    </form>
    ${t?s.needCode?d`<${ce} authenticators=${u} error=${s.error} busy=${s.busy}
            onCode=${y} onRetry=${()=>y(null)} onCancel=${()=>{n(null),a()}} />`:d`<div class="row"><span>${t.name} (${t.email})</span>
            <button type="button" class="danger" onClick=${()=>y(null)} disabled=${s.busy}>Reset 2FA</button></div>
            <${R} error=${s.error} />`:null}
    <${R} error=${r} />
    ${o?d`<p class="success" role="status">${o}</p>`:null}
  </div>`}function Nn({changes:e}){let[t,n]=b([null]),[r,i]=b(null),[o,c]=b(null),u=t[t.length-1];return O(()=>{W("auditEvents",{after:u}).then(l=>i(l.admin.auditEvents),l=>c(P(l)))},[u,e]),d`<div aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <${R} error=${o} />
    ${r?d`<div class="table-wrap"><table>
          <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">User</th><th scope="col">Address</th></tr></thead>
          <tbody>${r.events.map(l=>d`<tr>
            <td>${oe(l.createdAt)}</td><td>${l.action}</td><td>${l.actorId||""}</td><td>${l.targetId||""}</td><td>${l.ip||""}</td>
          </tr>`)}</tbody>
        </table></div>
        <div class="row">
          <button type="button" disabled=${t.length===1} onClick=${()=>n(t.slice(0,-1))}>Newer</button>
          <button type="button" disabled=${!r.nextCursor} onClick=${()=>n([...t,r.nextCursor])}>Older</button>
        </div>`:null}
  </div>`}function Jt({notice:e,onSignedIn:t}){let[n,r]=b(null),[i,o]=b(!1),c=ee(null);O(()=>c.current&&c.current.elements.email.focus(),[]);async function u(l){l.preventDefault();let s=new FormData(l.currentTarget);o(!0),r(null);try{let{login:f}=await W("login",{email:s.get("email"),password:s.get("password")});f.error?r(P(f.error)):t(f)}catch(f){r(P(f))}finally{o(!1)}}return d`<section class="card narrow" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in</h1>
    ${e?d`<p class="notice" role="status">${e}</p>`:null}
    <form onSubmit=${u} ref=${c}>
      <${G} id="email" label="Email" type="email" autocomplete="username" required />
      <${G} id="password" label="Password" type="password" autocomplete="current-password" required />
      <${R} error=${n} />
      <button type="submit" class="primary" disabled=${i}>Sign in</button>
    </form>
  </section>`}function Fn(e){return e==="EMAIL"?"Code from the email":e==="APP"?"Code from your app":"Code"}function Qt({authenticators:e,notice:t,onPassed:n,onEnded:r}){let i=e.filter(C=>C.method==="SECURITY_KEY"),o=e.filter(C=>C.method!=="SECURITY_KEY"),[c,u]=b(o.length?o[0].id:null),[l,s]=b(e.length===0),[f,a]=b(null),[p,y]=b(null),[_,$]=b(null),[h,g]=b(!1),m=o.find(C=>C.id===c),S=ve(_&&_.resendAt),I=ee(null);O(()=>{let C=I.current||document.getElementById("code");C&&C.focus()},[]);async function L(C,F,j){g(!0),a(null);try{let ne=(await W(C,F))[j];return ne.error?(a(P(ne.error)),ne.error.code==="TOO_MANY_ATTEMPTS"&&r("Too many wrong codes. Sign in again."),null):ne}catch(ne){return a(P(ne)),ne.code==="UNAUTHENTICATED"&&r("Your sign-in expired. Sign in again."),null}finally{g(!1)}}async function v(){let C=await L("sendLoginCode",{id:c},"sendLoginCode");if(C){let F=C.resendAvailableAt?new Date(C.resendAvailableAt):null;$({id:c,resendAt:F,wait:F?Math.max(0,Math.ceil((F-Date.now())/1e3)):0})}}async function T(C){C.preventDefault();let F=new FormData(C.currentTarget).get("code"),j=l?await L("verifyRecoveryCode",{code:F},"verifyLoginWithRecoveryCode"):await L("verifyLogin",{id:c,code:F},"verifyLogin");j&&n(j.session)}async function w(){g(!0),a(null),y(null);let C=await Ke();g(!1),C.payload?n(C.payload.session):C.error.code==="UNAUTHENTICATED"?r("Your sign-in expired. Sign in again."):C.error.code==="TOO_MANY_ATTEMPTS"?r("Too many failed tries. Sign in again."):y(C.error)}let H=d`<form onSubmit=${T}>
    ${l?d`<${G} id="code" label="Recovery code" autocomplete="off" required maxlength="20" />`:d`<${G} id="code" label=${Fn(m&&m.method)} ...${Se} />`}
    <${R} error=${f} />
    <button type="submit" class=${l||!i.length?"primary":void 0} disabled=${h}>Verify</button>
  </form>`;return d`<section class="card narrow" aria-labelledby="challenge-title">
    <h1 id="challenge-title">Two-factor authentication</h1>
    ${t?d`<p class="notice" role="status">${t}</p>`:null}
    ${l?d`<p>Enter one of the recovery codes you saved when you set up two-factor authentication.</p>${H}`:d`${i.length?d`<div class="key-choice">
              <p>Use your security key, or the passkey on this device or your phone.</p>
              <button type="button" class="primary" ref=${I} onClick=${w} disabled=${h}>Use security key</button>
              <${R} error=${p} />
            </div>`:null}
        ${o.length?d`<fieldset>
              <legend>${i.length?"Or verify with a code from":"Verify with"}</legend>
              ${o.map(C=>d`<label class="choice">
                  <input type="radio" name="authenticator" value=${C.id} checked=${C.id===c}
                    onChange=${()=>{u(C.id),a(null)}} />
                  ${C.name}
                </label>`)}
            </fieldset>
            ${m&&m.method==="EMAIL"?d`<div class="row">
                  <button type="button" onClick=${v} disabled=${h||S>0}>
                    ${_&&_.id===c?"Send a new code":"Send code"}
                  </button>
                  <span role="status" class="muted">
                    ${_&&_.id===c?"We emailed you a code.":""}
                    ${_&&_.id===c&&_.wait?d`<span class="visually-hidden"> You can ask for another in ${_.wait} seconds.</span>`:""}
                  </span>
                  ${S>0?d`<span class="muted" aria-hidden="true">You can ask for another in ${S} s.</span>`:null}
                </div>`:null}
            ${H}`:null}`}
    ${e.length?d`<button type="button" class="link" onClick=${()=>{s(!l),a(null),y(null)}}>
          ${l?"Use an authenticator instead":"Use a recovery code"}
        </button>`:null}
    <p class="muted">Lost access to your authenticators and recovery codes? Contact an administrator to reset your two-factor authentication.</p>
  </section>`}var Un=15e3;function Mn(){let[e,t]=b(window.location.hash);return O(()=>{let n=()=>t(window.location.hash);return window.addEventListener("hashchange",n),()=>window.removeEventListener("hashchange",n)},[]),e}function Kn(){let[e,t]=b({phase:"loading"}),n=Mn();async function r(s={}){try{let{session:f}=await W("session");f?f.nextStep==="TWO_FACTOR_CHALLENGE"?t({phase:"challenge",authenticators:f.authenticators||[],notice:s.challenge}):t(a=>a.phase==="signed-in"&&a.step===f.nextStep?{...a,offline:null,live:(a.live||0)+1}:{phase:"signed-in",user:f.user,step:f.nextStep,live:0}):t({phase:"signed-out",notice:s.ended})}catch(f){t(a=>a.phase==="signed-in"||a.phase==="challenge"?{...a,offline:P(f)}:{phase:"signed-out",error:P(f)})}}O(()=>{r()},[]);function i(){nt(),r({ended:"Your session ended. Sign in again.",challenge:"Two-factor authentication was turned on for your account. Verify it is you to go on."})}O(()=>{if(!e.offline)return;let s=setTimeout(i,Un);return()=>clearTimeout(s)},[e.offline]);function o(s){let f=s.session.nextStep;t(f==="TWO_FACTOR_CHALLENGE"?{phase:"challenge",authenticators:s.authenticators||[]}:{phase:"signed-in",user:s.session.user,step:f,arrived:!0})}async function c(){try{await W("logout")}finally{nt(),t({phase:"signed-out",notice:"You are signed out."})}}O(()=>{let s={"signed-out":"Sign in",challenge:"Two-factor authentication"};document.title=`${s[e.phase]||(n==="#/admin"?"Administration":"Your 2FA")} \xB7 twofactor`},[e.phase,n]);let u;e.phase==="loading"?u=d`<p role="status">Loading…</p>`:e.phase==="signed-out"?u=d`${e.error?d`<${R} error=${e.error} />`:null}
      <${Jt} notice=${e.notice} onSignedIn=${o} />`:e.phase==="challenge"?u=d`<${Qt} authenticators=${e.authenticators} notice=${e.notice}
      onPassed=${s=>t({phase:"signed-in",user:s.user,step:s.nextStep,arrived:!0})}
      onEnded=${s=>t({phase:"signed-out",notice:s})} />`:n==="#/admin"&&e.user.isAdmin&&e.step==="DONE"?u=d`<${jt} />`:u=d`<${Yt} user=${e.user} step=${e.step} live=${e.live} arrived=${e.arrived}
      onSessionChanged=${i} />`,e.offline&&(u=d`<div class="offline" role="alert">
        <p>${e.offline.message} What is on this page stays here until the server is back.</p>
        <button type="button" onClick=${i}>Try again</button>
      </div>
      ${u}`);let l=e.phase==="signed-in"?e.user:null;return d`<header class="top">
      <a class="brand" href="#/">twofactor</a>
      ${l?d`<nav aria-label="Main">
            <a href="#/" aria-current=${n!=="#/admin"?"page":void 0}>Your 2FA</a>
            ${l.isAdmin&&e.step==="DONE"?d`<a href="#/admin" aria-current=${n==="#/admin"?"page":void 0}>Administration</a>`:null}
            <span class="muted who">${l.email}</span>
            <button type="button" onClick=${c}>Sign out</button>
          </nav>`:null}
    </header>
    <main id="main">${u}</main>`}gt(d`<${Kn} />`,document.getElementById("app"));
